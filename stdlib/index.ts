/**
 * The standard library: every constructor a program can call, one entry each, in one file per category. An entry
 * owns its signature (parameters with types, defaults as `.mtl` source, limits and docs), whether the runtime runs
 * it, and its lowering to the job. `mtl stdlib` prints this catalog; the checker reads programs against it; the IR
 * builder lowers through it; `mtl render` writes every default out from it.
 */
import type { Category } from './types.js';
import { columnTypes, type ColumnTypeEntry } from './columns.js';
import { splits, type SplitEntry } from './splits.js';
import { transforms, type TransformEntry } from './transforms.js';
import { backbones, type BackboneEntry } from './backbones.js';
import { sharing, type SharingEntry } from './sharing.js';
import { heads, losses, metrics, type HeadEntry, type LossEntry, type MetricEntry } from './heads.js';
import { optimizers, schedules, type OptimizerEntry, type ScheduleEntry } from './optimizers.js';
import { samplings, phases, type SamplingEntry, type PhaseEntry } from './sampling.js';
import { weightings, aggregations, type WeightingEntry, type AggregationEntry } from './weighting.js';
import { stages, selections, type StageEntry, type SelectionEntry } from './stages.js';
import { acceptances, type AcceptanceEntry } from './acceptance.js';

/** Each category's table of entries, by constructor name. */
export const tables = {
  column_type: columnTypes, split: splits, transform: transforms, backbone: backbones, sharing, head: heads, loss: losses, metric: metrics,
  optimizer: optimizers, schedule: schedules, sampling: samplings, phase: phases, weighting: weightings, aggregation: aggregations,
  stage: stages, selection: selections, acceptance: acceptances,
} satisfies Record<Category, object>;

/** The entry type of each category. */
interface EntryTypes {
  column_type: ColumnTypeEntry; split: SplitEntry; transform: TransformEntry; backbone: BackboneEntry; sharing: SharingEntry; head: HeadEntry;
  loss: LossEntry; metric: MetricEntry; optimizer: OptimizerEntry; schedule: ScheduleEntry; sampling: SamplingEntry; phase: PhaseEntry;
  weighting: WeightingEntry; aggregation: AggregationEntry; stage: StageEntry; selection: SelectionEntry; acceptance: AcceptanceEntry;
}

export type NameOf<C extends Category> = keyof (typeof tables)[C] & string;

/** A constructor: its category's entry, with its name and category. Narrow on `category` to reach the lowering. */
export type Constructor = { [C in Category]: EntryTypes[C] & { name: NameOf<C>; category: C } }[Category];
export type ConstructorOf<C extends Category> = Extract<Constructor, { category: C }>;

function entriesOf<C extends Category>(category: C): ConstructorOf<C>[] {
  const table = tables[category] as unknown as Record<string, EntryTypes[C]>;
  return Object.entries(table).map(([name, entry]) => ({ ...entry, name, category }) as unknown as ConstructorOf<C>);
}

/** Every constructor, by category in the order `mtl stdlib` lists them. */
export const constructors: Constructor[] = (Object.keys(tables) as Category[]).flatMap((category) => entriesOf(category));

const byKey = new Map(constructors.map((c) => [`${c.category}:${c.name}`, c]));

export function findConstructor<C extends Category>(category: C, name: string): ConstructorOf<C> | undefined {
  return byKey.get(`${category}:${name}`) as ConstructorOf<C> | undefined;
}

export function constructorsOf<C extends Category>(category: C): ConstructorOf<C>[] {
  return constructors.filter((c): c is ConstructorOf<C> => c.category === category);
}

/** Whether a constructor is of a category (narrowing it to that category's entry). */
export function isOf<C extends Category>(ctor: Constructor, category: C): ctor is ConstructorOf<C> {
  return ctor.category === category;
}

export type { Param, Limits, Signature, Runs, ValueKind } from './signature.js';
export { describeLimits, withinLimits } from './signature.js';
export type { Args, Plans, PlannedCategory, PhasePlan } from './args.js';
export { declarationFields, assignedCategory, EPOCHS_WITHOUT_LENGTH, CONFLICTS_EVERY_PER_TASK, type DeclarationKind } from './declarations.js';
export type { ExpandedLayer, LayerKindEntry, TokenIds } from './backbones.js';
export type { HeadEntry } from './heads.js';
export { layerKinds, kindAfterLayer, layerShape } from './backbones.js';
export type { SharingLayout, ShareModules, ExtractionLevel, Survivors } from './sharing.js';
export { liveSharing } from './sharing.js';
export { scheduleOfKind } from './optimizers.js';
export type { ReportedMetrics } from './stages.js';
export { splitOfKind } from './splits.js';
export { heads, losses, metrics, transforms, backbones, sharing, weightings, aggregations };

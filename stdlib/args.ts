/**
 * How an entry's lowering reads its arguments. Elaboration fills every default before lowering runs, and compiling
 * stops on errors, so each read finds a value of the parameter's type: a read that does not is a compiler bug, and
 * throws (`compiler/check/args.ts` implements this over elaborated values). Lowerings therefore never carry a
 * fallback of their own: the default is written once, in the parameter.
 */
import type {
  LayerPlan, SplitPlan, OptimizerPlan, SchedulePlan, SamplingPlan, WeightingPlan, AggregationPlan, StagePlan, AcceptancePlan,
} from '../job/job.js';

export type PhasePlan = Extract<SamplingPlan, { kind: 'scheduled' }>['phases'][number];

/** The plan each category of nested constructor call lowers to on its own (without context from the program). */
export interface Plans {
  split: SplitPlan;
  optimizer: OptimizerPlan;
  schedule: SchedulePlan;
  sampling: SamplingPlan;
  phase: PhasePlan;
  weighting: WeightingPlan;
  aggregation: AggregationPlan;
  /** `frozen` holds backbone and share names here; lowering to the job turns them into module ids. */
  stage: StagePlan;
  acceptance: AcceptancePlan;
}
export type PlannedCategory = keyof Plans;

export interface Args {
  number(name: string): number;
  /** An optional number not given is null. */
  optionalNumber(name: string): number | null;
  /** Whether a number-or-call argument (`lr`) is a number. */
  isNumber(name: string): boolean;
  numbers(name: string): number[];
  string(name: string): string;
  bool(name: string): boolean;
  /** An enum argument, as one of `values`. */
  choice<const T extends string>(name: string, values: readonly T[]): T;
  /** An optional enum argument not given is null. */
  optionalChoice<const T extends string>(name: string, values: readonly T[]): T | null;
  column(name: string): string;
  /** A reference to a declaration, or an enum name where the type allows either (`task: mean`). */
  name(name: string): string;
  /** A list of references to declarations. */
  names(name: string): string[];
  /** A record of numbers, its keys sorted (so the job does not depend on the order they were written in). */
  numberRecord(name: string): Record<string, number>;
  /** A record of lists of numbers (mmoe's `assign`), its keys sorted. */
  numberListRecord(name: string): Record<string, number[]>;
  /** A record of enum names, each one of `values`, its keys sorted. */
  choiceRecord<const T extends string>(name: string, values: readonly T[]): Record<string, T>;
  /** A nested constructor call, lowered by its own entry. */
  plan<C extends PlannedCategory>(name: string, category: C): Plans[C];
  /** A list of nested constructor calls, each lowered by its own entry. */
  plans<C extends PlannedCategory>(name: string, category: C): Plans[C][];
  /** The layers of a backbone written in place as an argument (moe's expert), its parts' in order. */
  backboneLayers(name: string): LayerPlan[];
}

/**
 * Lowering: the optimized graph → the job. Layer nodes become modules (maximal chains of one owner's layers),
 * transform ids lose their IR prefix, and everything is sorted so the same program gives a byte-identical job.
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { type IrGraph, type IrNode, nodesByKind, orderedPredecessors, PLAN_NODE } from '../ir/graph.js';
import { renameFeatureRefs } from '../ir/passes/rename.js';
import { recordOf } from '../util/record-of.js';
import {
  JOB_FORMAT, JOB_VERSION, type Job, type DatasetPlan, type FeaturePlan, type InputPlan, type ModulePlan, type TaskPlan,
  type BatchGroupPlan, type TrainingPlan,
} from '../job/job.js';
import { compareText } from '../util/compare.js';

type LayerNode = Extract<IrNode, { kind: 'layer' }>;

export interface LowerOptions {
  /** The program's path (for `source` and `root`). */
  entry: string;
  sourceText: string;
}

const strip = (id: string) => id.replace(/^(transform|input|dataset|head):/, '');

/** Widths name features by their job ids. */
const jobRef = (ref: string) => (ref.startsWith('transform:') ? ref.slice('transform:'.length) : ref);

export function lowerToJob(graph: IrGraph, options: LowerOptions): Job {
  const nodes = nodesByKind(graph);
  const node = (id: string): IrNode => renameFeatureRefs(graph.node(id), jobRef);
  // Each node's inputs in order, looked up once: chains, references and tasks all ask for them.
  const predecessorsOf = new Map<string, string[]>();
  const predecessors = (id: string): string[] => {
    let found = predecessorsOf.get(id);
    if (!found) predecessorsOf.set(id, (found = orderedPredecessors(graph, id)));
    return found;
  };

  const datasets: DatasetPlan[] = nodes.dataset.map(([, d]) => ({ name: d.name, files: d.files, columns: d.columns, split: d.split })).sort(byName);
  const features: FeaturePlan[] = nodes.transform.map(([id]) => {
    const t = node(id) as Extract<IrNode, { kind: 'transform' }>;
    return { id: strip(id), dataset: t.dataset, column: t.column, transform: t.transform, shape: t.shape ?? [] };
  }).sort((a, b) => compareText(a.id, b.id));
  const inputs: InputPlan[] = nodes.input.map(([id]) => {
    const n = node(id) as Extract<IrNode, { kind: 'input' }>;
    return {
      id: n.name, dataset: n.dataset, features: predecessors(id).map(strip),
      kind: n.valueKind === 'ids' ? 'sequence' : n.valueKind === 'image' ? 'image' : 'vector', shape: n.shape ?? [],
    } satisfies InputPlan;
  }).sort((a, b) => compareText(a.id, b.id));

  // Modules: maximal chains of consecutive layers of one owner. A layer continues the chain of the layer it reads
  // when that layer has the same owner and the index before its own; after merging, at most one layer does.
  const continues = (id: string, n: LayerNode): string | null => {
    const pred = predecessors(id)[0];
    const p = pred ? graph.node(pred) : undefined;
    return n.layer.kind !== 'mixture' && p?.kind === 'layer' && p.owner === n.owner && p.index === n.index - 1 ? pred! : null;
  };
  const next = new Map<string, string>();
  const starts: [string, LayerNode][] = [];
  for (const [id, n] of nodes.layer) {
    const pred = continues(id, n);
    if (pred === null) starts.push([id, n]);
    else next.set(pred, id);
  }
  const chains = starts.map(([id, n]) => {
    const ids = [id];
    for (let at = next.get(id); at !== undefined; at = next.get(at)) ids.push(at);
    return { owner: n.owner, ids };
  });
  const perOwner = new Map<string, number>();
  for (const c of chains) perOwner.set(c.owner, (perOwner.get(c.owner) ?? 0) + 1);
  const seenOwner = new Map<string, number>();
  const moduleOf = new Map<string, { module: ModulePlan; position: number }>();
  const modules: ModulePlan[] = [];
  for (const chain of chains.sort((a, b) => compareText(a.owner, b.owner) || compareText(a.ids[0]!, b.ids[0]!))) {
    const k = (seenOwner.get(chain.owner) ?? 0) + 1;
    seenOwner.set(chain.owner, k);
    const layers = chain.ids.map((l) => node(l) as LayerNode);
    const module: ModulePlan = {
      id: perOwner.get(chain.owner)! > 1 ? `${chain.owner}#${k}` : chain.owner, backbone: layers[0]!.backbone, from: '',
      layers: layers.map((l) => l.layer), shapes: layers.map((l) => l.shape ?? []),
      tasks: unionOfTasks(layers), sharing: layers[0]!.sharing,
    };
    chain.ids.forEach((layerId, position) => moduleOf.set(layerId, { module, position }));
    modules.push(module);
  }
  /** How a module or task names what it reads: an input, a module (its last layer), or `module/position`. */
  const ref = (id: string): string | null => {
    const n = graph.node(id);
    if (n.kind === 'input') return n.name;
    const at = moduleOf.get(id);
    if (!at) return null;
    return at.position === at.module.layers.length - 1 ? at.module.id : `${at.module.id}/${at.position}`;
  };
  for (const chain of chains) moduleOf.get(chain.ids[0]!)!.module.from = ref(predecessors(chain.ids[0]!)[0]!) ?? '';

  const inputOf = (id: string): string => {
    let current = id;
    for (;;) {
      const n = graph.node(current);
      if (n.kind === 'input') return n.name;
      const pred = predecessors(current)[0];
      if (!pred) return '';
      current = pred;
    }
  };

  const tasks: TaskPlan[] = nodes.head.map(([id, h]) => {
    const model = predecessors(id)[0]!;
    const head = node(id) as Extract<IrNode, { kind: 'head' }>;
    return {
      name: h.task, dataset: h.dataset, input: inputOf(model), from: graph.node(model).kind === 'input' ? null : ref(model),
      target: h.target, targetType: h.targetType, head: head.head, loss: h.loss, metrics: h.metrics, weight: h.weight,
    };
  }).sort(byName);

  const groups = new Map<string, BatchGroupPlan>();
  for (const t of tasks) {
    const key = `${t.dataset}|${t.input}`;
    const group = groups.get(key) ?? { dataset: t.dataset, input: t.input, tasks: [] };
    group.tasks.push(t.name);
    groups.set(key, group);
  }

  const plan = graph.node(PLAN_NODE) as Extract<IrNode, { kind: 'plan' }>;
  const entry = path.resolve(options.entry);
  return {
    format: JOB_FORMAT,
    version: JOB_VERSION,
    source: { file: path.basename(entry), sha256: createHash('sha256').update(options.sourceText).digest('hex') },
    root: path.dirname(entry),
    datasets, features, inputs, modules, tasks,
    batchGroups: [...groups.values()].sort((a, b) => compareText(a.dataset, b.dataset) || compareText(a.input, b.input)),
    training: liveTraining(plan.training, new Set(tasks.map((t) => t.name)), modules),
  };
}

/** The plan, restricted to the tasks that survived the passes; frozen backbone/share names become module ids. */
function liveTraining(training: TrainingPlan, live: Set<string>, modules: ModulePlan[]): TrainingPlan {
  const keep = <T>(record: Record<string, T>) => recordOf(Object.entries(record).filter(([k]) => live.has(k)));
  const modulesFor = (name: string) => modules.filter((m) => m.backbone === name || m.id === name || m.id.startsWith(`${name}.`) || m.id.startsWith(`${name}#`)).map((m) => m.id);
  const sampling = training.sampling.kind === 'explicit' ? { ...training.sampling, probs: keep(training.sampling.probs) } : training.sampling;
  return {
    ...training,
    taskLr: keep(training.taskLr),
    sampling,
    stages: training.stages.map((s) => ({ ...s, tasks: s.tasks.filter((t) => live.has(t)), frozen: [...new Set(s.frozen.flatMap(modulesFor))].sort() })),
  };
}

/** The tasks reading any layer of a module, sorted. */
function unionOfTasks(layers: LayerNode[]): string[] {
  const tasks = new Set<string>();
  for (const layer of layers) for (const task of layer.tasks) tasks.add(task);
  return [...tasks].sort();
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return compareText(a.name, b.name);
}

/**
 * Lowering: the optimized graph → the job. Layer nodes become modules (maximal chains of one owner's layers),
 * transform ids lose their IR prefix, and everything is sorted so the same program gives a byte-identical job.
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { type IrGraph, type IrNode, nodesByKind, orderedPredecessors, PLAN_NODE } from '../ir/graph.js';
import { renameFeatureRefs } from '../ir/passes/rename.js';
import { recordOf } from '../util/record-of.js';
import type { Job, DatasetPlan, FeaturePlan, InputPlan, ModulePlan, TaskPlan, BatchGroupPlan, TrainingPlan, SourceRef } from '../../job/job.js';
import { JOB_FORMAT, JOB_VERSION } from '../../job/names.js';
import { liveSharing } from '../../stdlib/index.js';
import { compareText } from '../../shared/compare.js';

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
      ...(n.lookup ? { lookup: true } : {}),
    } satisfies InputPlan;
  }).sort((a, b) => compareText(a.id, b.id));

  // Modules: one per owner of parameters. An owner's layer nodes are one chain per input it is applied to (the builder
  // makes a layer node once per parameters and input): tasks of several datasets sharing a backbone read one module
  // with a source per input, so they train one set of parameters.
  const byOwner = new Map<string, [string, LayerNode][]>();
  for (const [id, n] of nodes.layer) {
    const list = byOwner.get(n.owner);
    if (list) list.push([id, n]);
    else byOwner.set(n.owner, [[id, n]]);
  }
  const moduleOf = new Map<string, { module: ModulePlan; position: number }>();
  const modules: ModulePlan[] = [];
  for (const owner of [...byOwner.keys()].sort(compareText)) {
    const layerNodes = byOwner.get(owner)!.sort(([a], [b]) => compareText(a, b));
    const byIndex: LayerNode[] = [];
    for (const [id] of layerNodes) {
      const n = node(id) as LayerNode;
      byIndex[n.index] ??= n;
    }
    const module: ModulePlan = {
      id: owner, backbone: byIndex[0]!.backbone, share: byIndex[0]!.share, from: [],
      layers: byIndex.map((l) => l.layer), shapes: byIndex.map((l) => l.shape ?? []),
      tasks: unionOfTasks(layerNodes.map(([, n]) => n)), sharing: byIndex[0]!.sharing,
    };
    for (const [id, n] of layerNodes) moduleOf.set(id, { module, position: n.index });
    modules.push(module);
  }
  /** How a module or task names what it reads: an input, or one layer of a module. */
  const ref = (id: string): SourceRef | null => {
    const n = graph.node(id);
    if (n.kind === 'input') return { input: n.name };
    const at = moduleOf.get(id);
    return at ? { module: at.module.id, layer: at.position } : null;
  };
  for (const [id, n] of nodes.layer) {
    if (n.index !== 0 || n.layer.kind === 'mixture') continue;
    const source = ref(predecessors(id)[0]!);
    const module = moduleOf.get(id)!.module;
    if (source && !module.from.some((f) => sameRef(f, source))) module.from.push(source);
  }
  for (const module of modules) module.from.sort((a, b) => compareText(refText(a), refText(b)));

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
    // What its model computes comes first (edge order 0); the heads of tasks it reads or multiplies after it.
    const model = predecessors(id)[0]!;
    const head = node(id) as Extract<IrNode, { kind: 'head' }>;
    return {
      name: h.task, dataset: h.dataset, input: inputOf(model), from: ref(model)!,
      target: h.target, targetType: h.targetType, head: head.head, loss: h.loss, metrics: h.metrics, weight: h.weight,
      ...(h.reads.length > 0 ? { reads: h.reads } : {}), ...(h.product.length > 0 ? { product: h.product } : {}),
    };
  }).sort(byName);

  const groups = new Map<string, BatchGroupPlan>();
  for (const t of tasks) {
    const key = `${t.dataset}|${t.input}`;
    const group = groups.get(key) ?? { dataset: t.dataset, input: t.input, tasks: [] };
    group.tasks.push(t.name);
    groups.set(key, group);
  }

  const liveTasks = new Set(tasks.map((t) => t.name));
  const moduleIds = new Set(modules.map((m) => m.id));
  for (const module of modules) module.sharing = liveSharing(module.sharing, { modules: moduleIds, tasks: liveTasks });

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
  const modulesFor = (name: string) => modules.filter((m) => m.backbone === name || m.share === name).map((m) => m.id);
  const sampling = training.sampling.kind === 'explicit' ? { ...training.sampling, probs: keep(training.sampling.probs) } : training.sampling;
  const objectives = training.selection.objectives.filter((o) => live.has(o.task));
  const selection = training.selection.kind === 'weighted' ? { ...training.selection, objectives, weights: keep(training.selection.weights) } : { ...training.selection, objectives };
  return {
    ...training,
    taskLr: keep(training.taskLr),
    sampling,
    selection,
    stages: training.stages.map((s) => ({ ...s, tasks: s.tasks.filter((t) => live.has(t)), frozen: [...new Set(s.frozen.flatMap(modulesFor))].sort() })),
  };
}

/** The tasks reading any layer of a module, sorted. */
function unionOfTasks(layers: LayerNode[]): string[] {
  const tasks = new Set<string>();
  for (const layer of layers) for (const task of layer.tasks) tasks.add(task);
  return [...tasks].sort();
}

const refText = (ref: SourceRef): string => ('input' in ref ? `input:${ref.input}` : `${ref.module}/${ref.layer}`);
const sameRef = (a: SourceRef, b: SourceRef): boolean => refText(a) === refText(b);

function byName<T extends { name: string }>(a: T, b: T): number {
  return compareText(a.name, b.name);
}

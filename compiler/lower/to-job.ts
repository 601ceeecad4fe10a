/**
 * Lowering: the optimized graph → the job. Layer nodes become modules (maximal chains of one owner's layers),
 * transform ids lose their IR prefix, and everything is sorted so the same program gives a byte-identical job.
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { type IrGraph, type IrNode, nodesOfKind, orderedPredecessors, PLAN_NODE } from '../ir/graph.js';
import { renameVocabRefs } from '../ir/passes/rename.js';
import { recordOf } from '../util/record-of.js';
import {
  JOB_FORMAT, JOB_VERSION, type Job, type DatasetPlan, type FeaturePlan, type InputPlan, type ModulePlan, type TaskPlan,
  type BatchGroupPlan, type TrainingPlan,
} from '../job/job.js';

type LayerNode = Extract<IrNode, { kind: 'layer' }>;

export interface LowerOptions {
  /** The program's path (for `source` and `root`). */
  entry: string;
  sourceText: string;
}

const strip = (id: string) => id.replace(/^(transform|input|dataset|head):/, '');

export function lowerToJob(input: IrGraph, options: LowerOptions): Job {
  // Widths name features by their job ids.
  const renames = new Map(nodesOfKind(input, 'transform').map(([id]) => [id, strip(id)]));
  const node = (id: string): IrNode => renameVocabRefs(input.node(id), renames);
  const graph = input;

  const datasets: DatasetPlan[] = nodesOfKind(graph, 'dataset').map(([, d]) => ({ name: d.name, files: d.files, columns: d.columns, split: d.split })).sort(byName);
  const features: FeaturePlan[] = nodesOfKind(graph, 'transform').map(([id]) => {
    const t = node(id) as Extract<IrNode, { kind: 'transform' }>;
    return { id: strip(id), dataset: t.dataset, column: t.column, transform: t.transform, shape: t.shape ?? [] };
  }).sort((a, b) => a.id.localeCompare(b.id));
  const inputs: InputPlan[] = nodesOfKind(graph, 'input').map(([id]) => {
    const n = node(id) as Extract<IrNode, { kind: 'input' }>;
    return {
      id: n.name, dataset: n.dataset, features: orderedPredecessors(graph, id).map(strip),
      kind: n.valueKind === 'ids' ? 'sequence' : n.valueKind === 'image' ? 'image' : 'vector', shape: n.shape ?? [],
    } satisfies InputPlan;
  }).sort((a, b) => a.id.localeCompare(b.id));

  // Modules: chains of consecutive layers of one owner.
  const layerIds = nodesOfKind(graph, 'layer').map(([id]) => id).sort();
  const moduleOf = new Map<string, { module: string; position: number }>();
  const chains: { owner: string; ids: string[] }[] = [];
  const startsChain = (id: string, n: LayerNode) => {
    const pred = orderedPredecessors(graph, id)[0];
    const p = pred ? graph.node(pred) : undefined;
    return n.layer.kind === 'mixture' || p?.kind !== 'layer' || p.owner !== n.owner || p.index !== n.index - 1;
  };
  for (const id of layerIds) {
    const n = graph.node(id) as LayerNode;
    if (!startsChain(id, n)) continue;
    const ids = [id];
    for (;;) {
      const last = ids[ids.length - 1]!;
      const next = (graph.successors(last) ?? []).filter((s) => {
        const sn = graph.node(s);
        return sn.kind === 'layer' && sn.owner === n.owner && !startsChain(s, sn);
      });
      if (next.length !== 1) break;
      ids.push(next[0]!);
    }
    chains.push({ owner: n.owner, ids });
  }
  const perOwner = new Map<string, number>();
  for (const c of chains) perOwner.set(c.owner, (perOwner.get(c.owner) ?? 0) + 1);
  const seenOwner = new Map<string, number>();
  const modules: ModulePlan[] = [];
  for (const chain of chains.sort((a, b) => a.owner.localeCompare(b.owner) || a.ids[0]!.localeCompare(b.ids[0]!))) {
    const k = (seenOwner.get(chain.owner) ?? 0) + 1;
    seenOwner.set(chain.owner, k);
    const id = perOwner.get(chain.owner)! > 1 ? `${chain.owner}#${k}` : chain.owner;
    chain.ids.forEach((layerId, position) => moduleOf.set(layerId, { module: id, position }));
    const layers = chain.ids.map((l) => node(l) as LayerNode);
    modules.push({
      id, backbone: layers[0]!.backbone, from: '', layers: layers.map((l) => l.layer), shapes: layers.map((l) => l.shape ?? []),
      tasks: [...new Set(layers.flatMap((l) => l.tasks))].sort(), sharing: layers[0]!.sharing,
    });
  }
  const moduleById = new Map(modules.map((m) => [m.id, m]));
  const ref = (id: string): string | null => {
    const n = graph.node(id);
    if (n.kind === 'input') return n.name;
    const at = moduleOf.get(id);
    if (!at) return null;
    const module = moduleById.get(at.module)!;
    return at.position === module.layers.length - 1 ? module.id : `${module.id}/${at.position}`;
  };
  for (const chain of chains) {
    const first = chain.ids[0]!;
    const module = moduleById.get(moduleOf.get(first)!.module)!;
    module.from = ref(orderedPredecessors(graph, first)[0]!) ?? '';
  }

  const inputOf = (id: string): string => {
    let current = id;
    for (;;) {
      const n = graph.node(current);
      if (n.kind === 'input') return n.name;
      const pred = orderedPredecessors(graph, current).find((p) => graph.node(p).kind !== 'dataset');
      if (!pred) return '';
      current = pred;
    }
  };

  const tasks: TaskPlan[] = nodesOfKind(graph, 'head').map(([id, h]) => {
    const model = orderedPredecessors(graph, id).find((p) => graph.node(p).kind !== 'dataset')!;
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
    batchGroups: [...groups.values()].sort((a, b) => a.dataset.localeCompare(b.dataset) || a.input.localeCompare(b.input)),
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

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name.localeCompare(b.name);
}

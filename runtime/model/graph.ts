/**
 * The module graph as the model walks it: what each layer and head reads, for a task or for any task.
 *
 * A module shared by tasks of several datasets has a source per input (`ModulePlan.from` is a list): one set of
 * parameters, applied to whichever input the task's batches provide. A layer kind may read modules of its own
 * instead of the module's input (a mixture reads its experts and its gate).
 */
import type { ModulePlan } from '../../job/job.js';
import type { ModelJob } from './model-job.js';
import { UserError } from '../errors.js';
import { layerRuntime } from './layers/index.js';
import { sourceRef, type SourceRef } from './refs.js';

export type LayerRef = Extract<SourceRef, { kind: 'layer' }>;

export interface ModelGraph {
  readonly job: ModelJob;
  module(id: string): ModulePlan;
  /** What a layer reads when it computes for `task`: its own sources, the layer before, or its module's source for the task's input. */
  reads(ref: LayerRef, task: string): readonly SourceRef[];
  /** What a layer may read for any task: a first layer reads every source of its module. */
  readsAny(ref: LayerRef): readonly SourceRef[];
  /** Whether everything the layer reads is a model input (batch data, which nothing differentiates). */
  readsData(ref: LayerRef): boolean;
  /** What the head of `task` reads. */
  headSource(task: string): SourceRef;
}

export function moduleGraph(job: ModelJob): ModelGraph {
  const modules = new Map(job.modules.map((m) => [m.id, m]));
  const moduleSources = new Map(job.modules.map((m) => [m.id, m.from.map((ref) => sourceRef(job, ref, `module '${m.id}'`))]));
  // Layers that read sources of their own (mixtures), by `${module}/${layer}`.
  const ownSources = new Map<string, SourceRef[]>();
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      const sources = layerRuntime(layer).sources?.(layer, job, `the ${layer.kind} in module '${module.id}'`);
      if (sources) ownSources.set(`${module.id}/${index}`, sources);
    });
  }
  const headSources = new Map(job.tasks.map((t) => [t.name, sourceRef(job, t.from, `task '${t.name}'`)]));
  const taskInput = new Map(job.tasks.map((t) => [t.name, t.input]));

  // What every layer may read, by `${module}/${layer}`, worked out once (the forward pass asks for every layer).
  const anySources = new Map<string, readonly SourceRef[]>();
  for (const module of job.modules) {
    module.layers.forEach((_, index) => {
      const key = `${module.id}/${index}`;
      anySources.set(key, ownSources.get(key) ?? (index > 0 ? [{ kind: 'layer', module: module.id, layer: index - 1 }] : moduleSources.get(module.id)!));
    });
  }
  const readsAny = (ref: LayerRef): readonly SourceRef[] => anySources.get(`${ref.module}/${ref.layer}`)!;

  /** Whether `ref`'s output is computed from model input `input`. */
  const reaches = (ref: SourceRef, input: string): boolean => (ref.kind === 'input' ? ref.input === input : readsAny(ref).some((s) => reaches(s, input)));
  const sourceCache = new Map<string, SourceRef>();
  /** What a module's first layer reads for `task`: of several sources, the one computed from the task's input. */
  const sourceFor = (module: string, task: string): SourceRef => {
    const sources = moduleSources.get(module)!;
    if (sources.length === 1) return sources[0]!;
    const input = taskInput.get(task)!;
    const key = `${module}\u0000${input}`;
    let found = sourceCache.get(key);
    if (!found) {
      found = sources.find((s) => reaches(s, input));
      if (!found) throw new Error(`module '${module}' has no source computed from input '${input}' (task '${task}')`);
      sourceCache.set(key, found);
    }
    return found;
  };

  const graph: ModelGraph = {
    job,
    module: (id) => modules.get(id)!,
    reads: (ref, task) => {
      const sources = readsAny(ref);
      return ref.layer > 0 || sources.length === 1 || ownSources.has(`${ref.module}/${ref.layer}`) ? sources : [sourceFor(ref.module, task)];
    },
    readsAny,
    readsData: (ref) => readsAny(ref).every((s) => s.kind === 'input'),
    headSource: (task) => headSources.get(task)!,
  };
  assertAcyclic(job, graph);
  return graph;
}

/** A module that reads its own output, through other modules, is a UserError naming the first such module in job order. */
function assertAcyclic(job: ModelJob, graph: ModelGraph): void {
  const done = new Set<string>();
  const visit = (module: string, path: ReadonlySet<string>): void => {
    if (path.has(module)) throw new UserError(`module '${module}' reads its own output through a cycle`);
    if (done.has(module)) return;
    const inner = new Set([...path, module]);
    graph.module(module).layers.forEach((_, layer) => {
      for (const source of graph.readsAny({ kind: 'layer', module, layer })) {
        if (source.kind === 'layer' && source.module !== module) visit(source.module, inner);
      }
    });
    done.add(module);
  };
  for (const module of job.modules) visit(module.id, new Set());
}

/**
 * buildModel: tf.Variables for the job's module graph and one head per task, with a memoized forward pass.
 *
 * Hard sharing is the graph itself: tasks that read one module share its weights. The other schemes
 * live in their own files and are wired in here:
 *   mixture.ts       MMoE: a mixture layer reads its experts and its gate (modules) instead of `from`
 *   cross-stitch.ts  after chosen layers, the columns of a share are mixed by a learned matrix
 *   adapters.ts      per-task bottlenecks after each dense layer of a shared module
 *   soft.ts          per-task columns tied by an L2 penalty on the loss (`penalty`)
 */
import * as tf from '@tensorflow/tfjs';
import type { Job, ModulePlan, Width } from '../../job/job.js';
import { UserError } from '../errors.js';
import { Random } from '../random.js';
import { adapt, adapterName, adapterSites, type Adapter } from './adapters.js';
import { crossStitchGroups, stitch, stitchInit } from './cross-stitch.js';
import { dense } from './dense.js';
import { glorotUniform } from './init.js';
import { mixExperts, mixtureShape } from './mixture.js';
import { moduleOutput, refKey, sourceRef, type SourceRef } from './refs.js';
import { softPenalty, tiedColumns } from './soft.js';
import { assertRunnable } from './support.js';
import type { HeadInfo, MtlModel, Param, ParamOwner, TaskLogits } from './types.js';

interface DenseParams {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

type LayerRef = Extract<SourceRef, { kind: 'layer' }>;

/** One cross-stitch matrix, as seen from one of the columns it mixes (row `position`). */
interface StitchUnit {
  name: string;
  columns: readonly string[];
  matrix: tf.Variable<tf.Rank.R2>;
  position: number;
}

/**
 * @param widths resolves symbolic widths (vocabulary sizes) learned from the training split
 * @param seed the same seed gives the same initial weights and the same dropout masks
 */
export function buildModel(job: Job, widths: (w: Width) => number, seed: number): MtlModel {
  assertRunnable(job);
  const random = new Random(seed);
  const params: Param[] = [];
  const names = new Set<string>();
  const addParam = (name: string, owner: ParamOwner, values: Float32Array, shape: number[]) => {
    if (names.has(name)) throw new Error(`two parameters of the model are named '${name}'`);
    names.add(name);
    // tf variable names must be unique in the process (two models may coexist), so let tf name
    // them and keep the stable name beside.
    // tidy frees the initial tensor; the variable keeps its own reference to the data.
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
    params.push({ name, variable, owner });
    return variable;
  };
  const glorot = (name: string, fanIn: number, fanOut: number) => glorotUniform(fanIn, fanOut, uniformStream(random.fork(name)));
  const denseParams = (name: string, owner: ParamOwner, fanIn: number, units: number): DenseParams => ({
    kernel: addParam(`${name}/kernel`, owner, glorot(`${name}/kernel`, fanIn, units), [fanIn, units]) as tf.Variable<tf.Rank.R2>,
    bias: addParam(`${name}/bias`, owner, new Float32Array(units), [units]) as tf.Variable<tf.Rank.R1>,
  });

  const modules = new Map(job.modules.map((m) => [m.id, m]));
  const moduleSources = new Map(job.modules.map((m) => [m.id, m.from.map((ref) => sourceRef(job, ref, `module '${m.id}'`))]));
  const taskInput = new Map(job.tasks.map((t) => [t.name, t.input]));
  /** Whether `ref`'s output is computed from model input `input`. */
  const reaches = (ref: SourceRef, input: string): boolean => {
    if (ref.kind === 'input') return ref.input === input;
    const mixture = mixtures.get(`${ref.module}/${ref.layer}`);
    if (mixture) return mixture.experts.some((e) => reaches(e, input));
    return ref.layer > 0 ? reaches({ ...ref, layer: ref.layer - 1 }, input) : moduleSources.get(ref.module)!.some((s) => reaches(s, input));
  };
  const sourceCache = new Map<string, SourceRef>();
  /**
   * What a module's first layer reads for `task`. A module shared by tasks of several datasets has a source per input:
   * one set of parameters, applied to whichever input the task's batches provide.
   */
  const sourceFor = (module: string, task: string | null): SourceRef => {
    const sources = moduleSources.get(module)!;
    if (sources.length === 1 || task === null) return sources[0]!;
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
  /** What a module's layer `index` reads (for `task`), unless it is a mixture. */
  const inputOf = (module: string, index: number, task: string | null = null): SourceRef =>
    index === 0 ? sourceFor(module, task) : { kind: 'layer', module, layer: index - 1 };
  // A mixture layer reads its experts and its gate, not the module's `from`.
  const mixtures = new Map<string, { experts: SourceRef[]; gate: SourceRef }>();
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      if (layer.kind !== 'mixture') return;
      const readBy = `the mixture in module '${module.id}'`;
      mixtures.set(`${module.id}/${index}`, { experts: layer.experts.map((e) => moduleOutput(job, e, readBy)), gate: moduleOutput(job, layer.gate, readBy) });
    });
  }

  // Per-row output shape of every source, resolved once; also rejects cycles in the module graph.
  const shapes = new Map<string, number[]>();
  const shapeOf = (ref: SourceRef, visiting: Set<string> = new Set()): number[] => {
    const key = refKey(ref);
    const known = shapes.get(key);
    if (known) return known;
    let shape: number[];
    if (ref.kind === 'input') {
      const input = job.inputs.find((i) => i.id === ref.input)!;
      shape = input.shape.map(widths);
    } else {
      const module = modules.get(ref.module)!;
      const layer = module.layers[ref.layer]!;
      // Reading another module's output (crossing into the source, or a mixture's experts and gate):
      // meeting this module again on the way is a cycle.
      const crossing = () => {
        if (visiting.has(module.id)) throw new UserError(`module '${module.id}' reads its own output through a cycle`);
        return new Set([...visiting, module.id]);
      };
      if (layer.kind === 'mixture') {
        const { experts, gate } = mixtures.get(`${module.id}/${ref.layer}`)!;
        const inner = crossing();
        shape = mixtureShape(`module '${module.id}' layer ${ref.layer} (mixture)`, layer, experts.map((e) => shapeOf(e, inner)), shapeOf(gate, inner));
      } else {
        const before = ref.layer === 0 ? sameShape(module.id, moduleSources.get(module.id)!.map((s) => shapeOf(s, crossing()))) : shapeOf(inputOf(module.id, ref.layer), visiting);
        if (layer.kind === 'dense') {
          requireVector(before, `module '${module.id}' layer ${ref.layer} (dense)`);
          shape = [layer.units];
        } else {
          shape = [before.reduce((a, b) => a * b, 1)];
        }
      }
    }
    shapes.set(key, shape);
    return shape;
  };
  const widthAt = (module: string, layer: number) => shapeOf({ kind: 'layer', module, layer });

  // Module parameters, in job order, layer by layer, then the module's adapters task by task.
  const layerParams = new Map<string, DenseParams>();
  const adapters = new Map<string, Adapter>();
  const sites = adapterSites(job);
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      if (layer.kind !== 'dense') return;
      const before = shapeOf(inputOf(module.id, index));
      requireVector(before, `module '${module.id}' layer ${index} (dense)`);
      layerParams.set(`${module.id}/${index}`, denseParams(`${module.id}/${index}`, { kind: 'module', module: module.id }, before[0]!, layer.units));
    });
    for (const site of sites.filter((s) => s.module === module.id)) {
      const name = adapterName(site);
      const owner: ParamOwner = { kind: 'adapter', module: module.id, task: site.task };
      adapters.set(name, {
        down: addParam(`${name}/down`, owner, glorot(`${name}/down`, site.units, site.size), [site.units, site.size]) as tf.Variable<tf.Rank.R2>,
        up: addParam(`${name}/up`, owner, new Float32Array(site.size * site.units), [site.size, site.units]) as tf.Variable<tf.Rank.R2>,
      });
    }
  }

  // Cross-stitch matrices, share by share, layer by layer; each column finds its unit by `${column}/${layer}`.
  const stitchUnits = new Map<string, StitchUnit>();
  for (const group of crossStitchGroups(job, widthAt)) {
    const n = group.columns.length;
    for (const layer of group.layers) {
      const name = `${group.share}/stitch/${layer}`;
      const matrix = addParam(name, { kind: 'stitch', columns: group.columns }, stitchInit(n, group.init), [n, n]) as tf.Variable<tf.Rank.R2>;
      group.columns.forEach((column, position) => stitchUnits.set(`${column}/${layer}`, { name, columns: group.columns, matrix, position }));
    }
  }

  // Heads: a task whose `from` is null reads its input directly (a linear baseline).
  const heads = new Map<string, HeadInfo>();
  const headSources = new Map<string, SourceRef>();
  const headParams = new Map<string, DenseParams>();
  for (const task of job.tasks) {
    const source = sourceRef(job, task.from, `task '${task.name}'`);
    const before = shapeOf(source);
    requireVector(before, `the head of task '${task.name}'`);
    const units = widths(task.head.units);
    heads.set(task.name, { task, units });
    headSources.set(task.name, source);
    headParams.set(task.name, denseParams(`head/${task.name}`, { kind: 'head', task: task.name }, before[0]!, units));
  }

  // Soft sharing: the columns' parameters, for the penalty.
  const tied = tiedColumns(job, (module) => params.filter((p) => p.owner.kind === 'module' && p.owner.module === module));

  // What a layer's output depends on: its input, a mixture's experts and gate, and at a stitched layer
  // the other columns' same layer (their weights, and through them their inputs). Gradients and
  // task-specific outputs follow these edges.
  const layerInputs = (ref: LayerRef): SourceRef[] => {
    const mixture = mixtures.get(`${ref.module}/${ref.layer}`);
    if (mixture) return [...mixture.experts, mixture.gate];
    const own = inputOf(ref.module, ref.layer);
    if (ref.layer === 0 && moduleSources.get(ref.module)!.length > 1) return moduleSources.get(ref.module)!;
    const unit = stitchUnits.get(`${ref.module}/${ref.layer}`);
    if (!unit) return [own];
    return [own, ...unit.columns.filter((c) => c !== ref.module).map((c): SourceRef => ({ kind: 'layer', module: c, layer: ref.layer }))];
  };
  const reachCache = new Map<string, ReadonlySet<string>>();
  /** The modules whose parameters the output of `ref` depends on. */
  const modulesUnder = (ref: SourceRef): ReadonlySet<string> => {
    const cached = reachCache.get(refKey(ref));
    if (cached) return cached;
    const found = new Set<string>();
    const seen = new Set<string>();
    const stack = [ref];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next.kind === 'input' || seen.has(refKey(next))) continue;
      seen.add(refKey(next));
      found.add(next.module);
      stack.push(...layerInputs(next));
    }
    reachCache.set(refKey(ref), found);
    return found;
  };
  const adapted = new Map<string, Set<string>>();
  for (const site of sites) adapted.set(site.module, (adapted.get(site.module) ?? new Set()).add(site.task));
  /** Whose view of `ref` the forward pass computes: `task` when adapters for it lie under `ref`, else the shared one (''). */
  const viewOf = (ref: SourceRef, task: string): string =>
    adapted.size > 0 && ref.kind === 'layer' && [...modulesUnder(ref)].some((m) => adapted.get(m)?.has(task)) ? task : '';

  const dropoutRandom = random.fork('dropout');

  const forward = (inputs: Readonly<Record<string, tf.Tensor>>, tasks: readonly string[], training: boolean): TaskLogits => {
    const memo = new Map<string, tf.Tensor>();
    const remember = (key: string, compute: () => tf.Tensor): tf.Tensor => {
      let value = memo.get(key);
      if (!value) {
        value = compute();
        memo.set(key, value);
      }
      return value;
    };
    const stitched = new Map<string, tf.Tensor2D[]>();
    /** The output of `ref` as `task` sees it. */
    const output = (ref: SourceRef, task: string): tf.Tensor => {
      if (ref.kind === 'input') {
        const tensor = inputs[ref.input];
        if (!tensor) throw new Error(`the batch has no input '${ref.input}'`);
        return tensor;
      }
      return remember(`${refKey(ref)}@${viewOf(ref, task)}`, () => layerOutput(ref, task));
    };
    const layerOutput = (ref: LayerRef, task: string): tf.Tensor => {
      const module = modules.get(ref.module)!;
      const mixture = mixtures.get(`${module.id}/${ref.layer}`);
      if (mixture) {
        return mixExperts(mixture.experts.map((e) => output(e, task) as tf.Tensor2D), output(mixture.gate, task) as tf.Tensor2D);
      }
      const unit = stitchUnits.get(`${module.id}/${ref.layer}`);
      const input = inputOf(module.id, ref.layer, task);
      // The layer's own output is shared by all tasks that see its input alike (one pass, one dropout mask).
      const shared = remember(`shared:${refKey(ref)}@${viewOf(input, task)}`, () =>
        unit ? stitchedColumns(unit, ref.layer, task)[unit.position]! : applyLayer(module, ref.layer, output(input, task), training),
      );
      const adapter = adapters.get(adapterName({ module: module.id, layer: ref.layer, task }));
      return adapter ? adapt(shared as tf.Tensor2D, adapter) : shared;
    };
    /** All columns of a cross-stitch unit at its layer, mixed; computed once for whichever column asks first. */
    const stitchedColumns = (unit: StitchUnit, layer: number, task: string): tf.Tensor2D[] => {
      const key = `${unit.name}@${viewOf({ kind: 'layer', module: unit.columns[0]!, layer }, task)}`;
      let mixed = stitched.get(key);
      if (!mixed) {
        const activations = unit.columns.map((c) => applyLayer(modules.get(c)!, layer, output(inputOf(c, layer, task), task), training));
        mixed = stitch(activations, unit.matrix);
        stitched.set(key, mixed);
      }
      return mixed;
    };
    const applyLayer = (module: ModulePlan, index: number, x: tf.Tensor, isTraining: boolean): tf.Tensor2D => {
      const layer = module.layers[index]!;
      if (layer.kind !== 'dense') return x.reshape([x.shape[0]!, -1]); // flatten
      const { kernel, bias } = layerParams.get(`${module.id}/${index}`)!;
      const y = dense(x as tf.Tensor2D, kernel, bias, layer.activation, index === 0 && moduleSources.get(module.id)!.every((source) => source.kind === 'input'));
      if (!isTraining || layer.dropout <= 0) return y;
      return tf.dropout(y, layer.dropout, undefined, dropoutRandom.int(2 ** 31 - 1)) as tf.Tensor2D;
    };
    const logits: TaskLogits = new Map();
    for (const task of tasks) {
      const head = headParams.get(task);
      if (!head) throw new Error(`forward asked for task '${task}', which the job does not have`);
      const x = output(headSources.get(task)!, task) as tf.Tensor2D;
      logits.set(task, dense(x, head.kernel, head.bias, 'linear'));
    }
    return logits;
  };

  const paramsFor = (tasks: readonly string[], frozenModules: readonly string[] = []): Param[] => {
    const frozen = new Set(frozenModules);
    const readBy = new Map(tasks.map((t) => [t, modulesUnder(headSources.get(t)!)]));
    const read = (module: string) => [...readBy.values()].some((under) => under.has(module));
    return params.filter((p) => {
      switch (p.owner.kind) {
        case 'module':
          return read(p.owner.module) && !frozen.has(p.owner.module);
        case 'head':
          return tasks.includes(p.owner.task);
        case 'adapter':
          return readBy.get(p.owner.task)?.has(p.owner.module) ?? false;
        case 'stitch':
          return p.owner.columns.some(read) && !p.owner.columns.every((c) => frozen.has(c));
        case 'weighting':
          return false;
      }
    });
  };

  const penalty = (trained: readonly Param[]): tf.Scalar | null => {
    const trainedVariables = new Set(trained.map((p) => p.variable));
    const active = tied.filter((group) => group.columns.some((column) => column.some((p) => trainedVariables.has(p.variable))));
    if (active.length === 0) return null;
    return active.length === 1 ? softPenalty(active[0]!) : (tf.addN(active.map(softPenalty)) as tf.Scalar);
  };

  return {
    job,
    params,
    heads,
    forward,
    paramsFor,
    penalty,
    dispose: () => params.forEach((p) => p.variable.dispose()),
  };
}

function uniformStream(random: Random): () => number {
  return () => random.next();
}

/** The one shape a module's sources give; sources of different shapes cannot share its first layer. */
function sameShape(module: string, shapes: number[][]): number[] {
  const [first] = shapes;
  const other = shapes.find((s) => !tf.util.arraysEqual(s, first!));
  if (other) {
    throw new UserError(
      `module '${module}' is shared by tasks of several datasets, but its inputs have different shapes ([${first!.join(', ')}] and [${other.join(', ')}]); ` +
        'shared layers need inputs of one width: give those tasks feature sets with the same numeric transforms of the same columns',
    );
  }
  return first!;
}

function requireVector(shape: number[], what: string): void {
  if (shape.length !== 1) {
    throw new UserError(`${what} reads a [${shape.join(', ')}] tensor per row; add a flatten layer before it`);
  }
}

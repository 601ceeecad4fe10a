/**
 * The forward pass: logits of some tasks for one batch. Generic over layer kinds and sharing schemes.
 *
 * Each layer's output is memoized for the pass by (layer, view): tasks that see a layer alike share one computation
 * (one backbone pass for all tasks of a batch, one dropout mask), and a task whose view differs below the layer
 * (adapters) gets its own. A layer's own output is computed once per view of what it reads; the module's sharing scheme
 * may compute it instead (cross-stitch mixes the columns; LoRA gives each task its own) and may change what a task sees
 * of it (adapters), or only what a task reads of it from outside the module, its next layer reading the shared output
 * (mtan's attended features).
 * Dropout applies only in training, with a seed per layer application drawn when first used. A pass may be given one
 * layer's output instead of computing it (the step on the shared representation runs the task branches from it).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerRef, ModelGraph } from './graph.js';
import type { LayerFn } from './layers/layer.js';
import type { HeadLogits } from './heads/projections.js';
import type { Reach } from './reach.js';
import type { TaskDependencies } from './dependencies.js';
import { refKey, type SourceRef } from './refs.js';
import type { AttachedScheme, ForwardPass } from './schemes/scheme.js';
import type { AuxiliaryLosses, DropoutSeeds, GivenOutput, MtlModel, TaskLogits } from './types.js';

export interface ExecutorParts {
  graph: ModelGraph;
  reach: Reach;
  /** Built layers by `${module}/${layer}`. */
  layers: ReadonlyMap<string, LayerFn>;
  /** The attached scheme of each module. */
  schemeOf: (module: string) => AttachedScheme;
  /** Each task's logits from what reaches its head (heads/projections.ts); a product task has none. */
  heads: ReadonlyMap<string, HeadLogits>;
  /** The predictions each task's head reads, and the tasks whose product is its prediction. */
  dependencies: TaskDependencies;
  /** The model's dropout stream: a seed in [0, 2^31 - 1) per draw. */
  drawSeed: () => number;
}

/** A pass, and its batch's token mask for the heads (a span head leaves padding out with it). */
type PassWithMask = ForwardPass & { tokenMask: () => tf.Tensor2D | null };

/** The forward pass, and the output of one layer (the trunk up to the shared representation). */
export function makeForward(parts: ExecutorParts): Pick<MtlModel, 'forward' | 'output'> {
  const { graph, reach, layers, schemeOf, heads, dependencies, drawSeed } = parts;
  const tokenInputs = new Set(graph.job.inputs.filter((i) => i.kind === 'sequence').map((i) => i.id));
  /** The view of what a layer reads: a task's own when any of it is. */
  const readView = (ref: LayerRef, task: string): string => {
    const sources = graph.reads(ref, task);
    return sources.some((s) => reach.viewOf(s, task) !== '') ? task : '';
  };

  /** One pass over a batch: each layer's output computed at most once per view, or taken from `given`. */
  const passOver = (
    inputs: Readonly<Record<string, tf.Tensor>>, tasks: readonly string[], training: boolean, dropoutSeeds: DropoutSeeds, given?: GivenOutput,
    auxiliary?: { module: string; loss: tf.Scalar }[],
  ): PassWithMask => {
    const memo = new Map<string, unknown>();
    const remember = <T>(key: string, compute: () => T): T => {
      if (memo.has(key)) return memo.get(key) as T;
      const value = compute();
      memo.set(key, value);
      return value;
    };
    const seedOf = (key: string): number => {
      let seed = dropoutSeeds.get(key);
      if (seed === undefined) {
        seed = drawSeed();
        dropoutSeeds.set(key, seed);
      }
      return seed;
    };
    const givenKey = given ? refKey(given.at) : null;
    // The token mask of the batch's token input (word ids ≠ 0: padding is id 0), made when a layer first asks. With
    // subword ids ([n, length, ids per token]) the word id is a position's first.
    let tokenMask: tf.Tensor2D | null | undefined;
    const maskOf = (): tf.Tensor2D | null => {
      if (tokenMask === undefined) {
        const ids = Object.entries(inputs).find(([id]) => tokenInputs.has(id))?.[1];
        const words = ids && ids.rank === 3 ? tf.squeeze(tf.slice(ids, [0, 0, 0], [-1, -1, 1]), [2]) : ids;
        tokenMask = words ? (tf.cast(tf.notEqual(words, 0), 'float32') as tf.Tensor2D) : null;
      }
      return tokenMask;
    };

    const pass: PassWithMask = {
      tasks,
      /** The output of `ref` as `task` sees it. */
      output: (ref: SourceRef, task: string): tf.Tensor => {
        if (ref.kind === 'input') {
          const tensor = inputs[ref.input];
          if (!tensor) throw new Error(`the batch has no input '${ref.input}'`);
          return tensor;
        }
        if (given && refKey(ref) === givenKey) return given.value;
        return remember(`${refKey(ref)}@${reach.viewOf(ref, task)}`, () => layerOutput(ref, task));
      },
      applyLayer: (ref, task, key) => {
        const layer = layers.get(`${ref.module}/${ref.layer}`)!;
        const read = graph.reads(ref, task).map((s) => (s.kind === 'layer' && s.module !== ref.module ? readAcross(s, task) : pass.output(s, task)));
        const auxiliaryLoss = auxiliary && training ? (loss: tf.Scalar) => auxiliary.push({ module: ref.module, loss }) : undefined;
        return layer(read, { training, inputIsData: graph.readsData(ref), dropoutSeed: () => seedOf(key), tokenMask: maskOf, auxiliaryLoss });
      },
      viewOf: reach.viewOf,
      remember,
      tokenMask: maskOf,
      training,
      dropoutSeed: seedOf,
      readAcross: (ref, task) => (ref.kind === 'layer' ? readAcross(ref, task) : pass.output(ref, task)),
    };
    /** What `task` reads of another module's layer: the task's own view there when that module's scheme gives one (mtan). */
    const readAcross = (ref: LayerRef, task: string): tf.Tensor => schemeOf(ref.module).taskView?.(ref, task, pass) ?? pass.output(ref, task);
    const layerOutput = (ref: LayerRef, task: string): tf.Tensor => {
      const scheme = schemeOf(ref.module);
      // The layer's own output is shared by all tasks that see what it reads alike (one pass, one dropout mask).
      const key = `shared:${refKey(ref)}@${readView(ref, task)}`;
      const own = scheme.taskLayerOutput?.(ref, task, pass) ?? remember(key, () => scheme.layerOutput?.(ref, task, pass) ?? pass.applyLayer(ref, task, key));
      return scheme.taskOutput ? scheme.taskOutput(ref, task, own) : own;
    };
    return pass;
  };

  return {
    forward: (inputs, tasks, training, dropoutSeeds: DropoutSeeds = new Map(), given?: GivenOutput, auxiliary?: AuxiliaryLosses) => {
      const layerLosses: { module: string; loss: tf.Scalar }[] = [];
      const pass = passOver(inputs, dependencies.closure(tasks), training, dropoutSeeds, given, auxiliary ? layerLosses : undefined);
      // Each task's logits once per pass: a task another reads or multiplies is computed first, on the same rows.
      const computed: TaskLogits = new Map();
      const logitsOf = (task: string): tf.Tensor2D => {
        let found = computed.get(task);
        if (found) return found;
        const factors = dependencies.product(task);
        if (factors.length > 0) {
          found = dependencies.multiply(task, factors.map(logitsOf));
        } else {
          const head = heads.get(task);
          if (head === undefined) throw new Error(`forward asked for task '${task}', which the job does not have`);
          const own = pass.readAcross(graph.headSource(task), task);
          const reads = dependencies.reads(task);
          found = head(reads.length === 0 ? own : tf.concat([own, ...reads.map((t) => dependencies.asInput(t, logitsOf(t)))], 1), pass.tokenMask);
        }
        computed.set(task, found);
        return found;
      };
      const logits: TaskLogits = new Map(tasks.map((task) => [task, logitsOf(task)]));
      if (auxiliary) shareLayerLosses(graph, tasks, layerLosses, auxiliary);
      return logits;
    },
    output: (inputs, at, task, training, dropoutSeeds: DropoutSeeds = new Map()) => passOver(inputs, [task], training, dropoutSeeds).output(at, task),
  };
}

/** Each task's share of the layer losses of a pass: a layer's loss over the count of its module's tasks, to each of them. */
function shareLayerLosses(graph: ModelGraph, tasks: readonly string[], losses: readonly { module: string; loss: tf.Scalar }[], into: AuxiliaryLosses): void {
  for (const task of tasks) {
    const shares = losses
      .filter(({ module }) => graph.module(module).tasks.includes(task))
      .map(({ module, loss }) => tf.div(loss, graph.module(module).tasks.length) as tf.Scalar);
    if (shares.length > 0) into.set(task, shares.length === 1 ? shares[0]! : (tf.addN(shares) as tf.Scalar));
  }
}

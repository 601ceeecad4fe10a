/**
 * buildModel: tf.Variables for the job's module graph (hard-shared backbones, towers) and one head
 * per task, with a memoized forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { Job, ModulePlan, Width } from '../../compiler/job/job.js';
import { UserError } from '../errors.js';
import { Random } from '../random.js';
import { dense } from './dense.js';
import { glorotUniform } from './init.js';
import { parseRef, refKey, type SourceRef } from './refs.js';
import { assertRunnable } from './support.js';
import type { HeadInfo, MtlModel, Param, ParamOwner, TaskLogits } from './types.js';

interface DenseParams {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

/**
 * @param widths resolves symbolic widths (vocabulary sizes) learned from the training split
 * @param seed the same seed gives the same initial weights and the same dropout masks
 */
export function buildModel(job: Job, widths: (w: Width) => number, seed: number): MtlModel {
  assertRunnable(job);
  const random = new Random(seed);
  const params: Param[] = [];
  const addParam = (name: string, owner: ParamOwner, values: Float32Array, shape: number[]) => {
    // tf variable names must be unique in the process (two models may coexist), so let tf name
    // them and keep the stable name beside.
    // tidy frees the initial tensor; the variable keeps its own reference to the data.
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
    params.push({ name, variable, owner });
    return variable;
  };
  const denseParams = (name: string, owner: ParamOwner, fanIn: number, units: number): DenseParams => ({
    kernel: addParam(`${name}/kernel`, owner, glorotUniform(fanIn, units, uniformStream(random.fork(`${name}/kernel`))), [fanIn, units]) as tf.Variable<tf.Rank.R2>,
    bias: addParam(`${name}/bias`, owner, new Float32Array(units), [units]) as tf.Variable<tf.Rank.R1>,
  });

  const modules = new Map(job.modules.map((m) => [m.id, m]));
  const moduleSources = new Map(job.modules.map((m) => [m.id, parseRef(job, m.from, `module '${m.id}'`)]));

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
      let before: number[];
      if (ref.layer === 0) {
        // Crossing into the module's source: meeting the module again on the way is a cycle.
        if (visiting.has(module.id)) throw new UserError(`module '${module.id}' reads its own output through a cycle`);
        before = shapeOf(moduleSources.get(module.id)!, new Set([...visiting, module.id]));
      } else {
        before = shapeOf({ ...ref, layer: ref.layer - 1 }, visiting);
      }
      const layer = module.layers[ref.layer]!;
      if (layer.kind === 'dense') {
        requireVector(before, `module '${module.id}' layer ${ref.layer} (dense)`);
        shape = [layer.units];
      } else {
        shape = [before.reduce((a, b) => a * b, 1)];
      }
    }
    shapes.set(key, shape);
    return shape;
  };

  // Module parameters, in job order, layer by layer.
  const layerParams = new Map<string, DenseParams>();
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      if (layer.kind !== 'dense') return;
      const before = index === 0 ? shapeOf(moduleSources.get(module.id)!) : shapeOf({ kind: 'layer', module: module.id, layer: index - 1 });
      requireVector(before, `module '${module.id}' layer ${index} (dense)`);
      layerParams.set(`${module.id}/${index}`, denseParams(`${module.id}/${index}`, { kind: 'module', module: module.id }, before[0]!, layer.units));
    });
  }

  // Heads: a task whose `from` is null reads its input directly (a linear baseline).
  const heads = new Map<string, HeadInfo>();
  const headSources = new Map<string, SourceRef>();
  const headParams = new Map<string, DenseParams>();
  for (const task of job.tasks) {
    const source = task.from === null ? parseRef(job, task.input, `task '${task.name}'`) : parseRef(job, task.from, `task '${task.name}'`);
    const before = shapeOf(source);
    requireVector(before, `the head of task '${task.name}'`);
    const units = widths(task.head.units);
    heads.set(task.name, { task, units });
    headSources.set(task.name, source);
    headParams.set(task.name, denseParams(`head/${task.name}`, { kind: 'head', task: task.name }, before[0]!, units));
  }

  const dropoutRandom = random.fork('dropout');

  const forward = (inputs: Readonly<Record<string, tf.Tensor>>, tasks: readonly string[], training: boolean): TaskLogits => {
    const memo = new Map<string, tf.Tensor>();
    const output = (ref: SourceRef): tf.Tensor => {
      const key = refKey(ref);
      const known = memo.get(key);
      if (known) return known;
      let value: tf.Tensor;
      if (ref.kind === 'input') {
        const tensor = inputs[ref.input];
        if (!tensor) throw new Error(`the batch has no input '${ref.input}'`);
        value = tensor;
      } else {
        const module = modules.get(ref.module)!;
        const before = ref.layer === 0 ? output(moduleSources.get(module.id)!) : output({ ...ref, layer: ref.layer - 1 });
        value = applyLayer(module, ref.layer, before, training);
      }
      memo.set(key, value);
      return value;
    };
    const applyLayer = (module: ModulePlan, index: number, x: tf.Tensor, isTraining: boolean): tf.Tensor => {
      const layer = module.layers[index]!;
      if (layer.kind !== 'dense') return x.reshape([x.shape[0]!, -1]); // flatten
      const { kernel, bias } = layerParams.get(`${module.id}/${index}`)!;
      const y = dense(x as tf.Tensor2D, kernel, bias, layer.activation, index === 0 && moduleSources.get(module.id)!.kind === 'input');
      if (!isTraining || layer.dropout <= 0) return y;
      return tf.dropout(y, layer.dropout, undefined, dropoutRandom.int(2 ** 31 - 1));
    };
    const logits: TaskLogits = new Map();
    for (const task of tasks) {
      const head = headParams.get(task);
      if (!head) throw new Error(`forward asked for task '${task}', which the job does not have`);
      const x = output(headSources.get(task)!) as tf.Tensor2D;
      logits.set(task, dense(x, head.kernel, head.bias, 'linear'));
    }
    return logits;
  };

  // Which modules a set of tasks reads, transitively: their parameters get those tasks' gradients.
  const modulesRead = (ref: SourceRef, into: Set<string>): void => {
    if (ref.kind === 'input' || into.has(ref.module)) return;
    into.add(ref.module);
    modulesRead(moduleSources.get(ref.module)!, into);
  };
  const paramsFor = (tasks: readonly string[], frozenModules: readonly string[] = []): Param[] => {
    const read = new Set<string>();
    for (const task of tasks) modulesRead(headSources.get(task)!, read);
    const frozen = new Set(frozenModules);
    return params.filter((p) =>
      p.owner.kind === 'module' ? read.has(p.owner.module) && !frozen.has(p.owner.module) : tasks.includes(p.owner.task),
    );
  };

  return {
    job,
    params,
    heads,
    forward,
    paramsFor,
    dispose: () => params.forEach((p) => p.variable.dispose()),
  };
}

function uniformStream(random: Random): () => number {
  return () => random.next();
}

function requireVector(shape: number[], what: string): void {
  if (shape.length !== 1) {
    throw new UserError(`${what} reads a [${shape.join(', ')}] tensor per row; add a flatten layer before it`);
  }
}

/**
 * LoRA (Hu et al. 2021). A shared module keeps one set of weights for all its tasks, and each dense layer gets, per
 * task of the share, a low-rank update of its kernel: the task's layer computes act(x · (W + s · A · B) + b), with
 * A [in, rank], B [rank, out] and s = alpha / rank. It is computed unmerged, x · W + b + s · (x · A) · B, so a step
 * never forms the [in, out] update; `mergeLora` (export/merge-lora.ts) forms it once for inference. B starts at zero,
 * so training starts from the shared model exactly; A starts Glorot-uniform so B's first gradients are not zero.
 * Unlike adapters the update is inside the layer, before its activation, so the layer itself differs per task: the
 * forward pass computes it once per task (`taskLayerOutput`), with a dropout mask of the task's own.
 *
 * Parameters are named `${module}/lora/${task}/${layer}/a` and `…/b`, created right after the module's layers', task
 * by task. A task's update trains whenever that task trains and reads the module, even when the module is frozen
 * (a stage's `freeze`): freezing the shared weights and training the updates is what LoRA is for.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan, ModulePlan } from '../../../job/job.js';
import type { ModelJob } from '../model-job.js';
import { UserError } from '../../errors.js';
import { activate, dense } from '../dense.js';
import { refKey } from '../refs.js';
import type { LayerRef } from '../graph.js';
import type { SchemeContext, SharingScheme } from './scheme.js';

type DenseLayer = Extract<LayerPlan, { kind: 'dense' }>;

export interface LoraSite {
  module: string;
  layer: number;
  task: string;
  plan: DenseLayer;
  rank: number;
  /** alpha / rank: what the update A · B is multiplied by. */
  scale: number;
}

export interface LowRankUpdate {
  a: tf.Tensor2D;
  b: tf.Tensor2D;
  scale: number;
}

export const lora: SharingScheme = {
  runnable: true,
  attach(modules, model) {
    const sites = new Map(loraSites(model.job, modules).map((site) => [loraName(site), site]));
    const built = new Map<string, LowRankUpdate>();
    const views = new Map<string, Set<string>>();
    for (const site of sites.values()) views.set(site.module, (views.get(site.module) ?? new Set()).add(site.task));
    return {
      addModuleParams(module) {
        for (const [name, site] of sites) {
          if (site.module !== module.id) continue;
          const fanIn = inputWidth(model, { kind: 'layer', module: module.id, layer: site.layer }, site.task);
          const owner = { modules: [module.id], task: site.task };
          built.set(name, {
            a: model.addParam(`${name}/a`, owner, model.glorot(`${name}/a`, fanIn, site.rank), [fanIn, site.rank]) as tf.Variable<tf.Rank.R2>,
            b: model.addParam(`${name}/b`, owner, new Float32Array(site.rank * site.plan.units), [site.rank, site.plan.units]) as tf.Variable<tf.Rank.R2>,
            scale: site.scale,
          });
        }
      },
      ownViews: (module) => views.get(module),
      taskLayerOutput(ref, task, pass) {
        const name = loraName({ module: ref.module, layer: ref.layer, task });
        const site = sites.get(name);
        if (!site) return undefined;
        const [source] = model.graph.reads(ref, task);
        const x = pass.output(source!, task);
        const shared = model.moduleParams(ref.module);
        const param = (suffix: string) => shared.find((p) => p.name === `${ref.module}/${ref.layer}/${suffix}`)!.variable;
        // x · W + b is the same for the tasks that see x alike (the first layer reads one input): computed once for them.
        const linear = pass.remember(`lora:${refKey(ref)}@${pass.viewOf(source!, task)}`, () => sharedLinear(x, param('kernel') as tf.Tensor2D, param('bias') as tf.Tensor1D));
        const y = withUpdate(linear, x, built.get(name)!, site.plan.activation);
        if (!pass.training || site.plan.dropout <= 0) return y;
        return tf.dropout(y, site.plan.dropout, undefined, pass.dropoutSeed(`lora:${refKey(ref)}@${task}`));
      },
    };
  },
  trains: (owner, step) => owner.task !== null && step.reads(owner.task, owner.modules[0]!),
};

/** The width a layer reads: the last axis of what it reads. */
function inputWidth(model: SchemeContext, ref: LayerRef, task: string): number {
  const [source] = model.graph.reads(ref, task);
  const shape = model.shapeOf(source!);
  return shape[shape.length - 1]!;
}

/** Where updates go: every dense layer of a module with lora sharing, once per task of the share the job still has. */
export function loraSites(job: ModelJob, shared: readonly ModulePlan[]): LoraSite[] {
  const live = new Set(job.tasks.map((t) => t.name));
  const sites: LoraSite[] = [];
  for (const module of shared) {
    if (module.sharing.kind !== 'lora') continue;
    const { rank, alpha, tasks } = module.sharing;
    if (!Number.isInteger(rank) || rank < 1) throw new UserError(`module '${module.id}' has lora updates of rank ${rank}; the rank must be a positive integer`);
    if (!(alpha > 0)) throw new UserError(`module '${module.id}' has lora alpha ${alpha}; it must be above 0`);
    for (const task of tasks.filter((t) => live.has(t))) {
      module.layers.forEach((plan, layer) => {
        if (plan.kind === 'dense') sites.push({ module: module.id, layer, task, plan, rank, scale: alpha / rank });
      });
    }
  }
  return sites;
}

export function loraName(site: { module: string; layer: number; task: string }): string {
  return `${site.module}/lora/${site.task}/${site.layer}`;
}

/** x [batch, in], or a sequence [batch, length, in] as its positions' rows: [rows, in]. */
const asRows = (x: tf.Tensor) => (x.rank === 3 ? tf.reshape(x, [-1, x.shape[2]!]) : x) as tf.Tensor2D;

/** x · W + b, the shared layer before its activation, as [rows, out]. */
function sharedLinear(x: tf.Tensor, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return dense(asRows(x), kernel, bias, 'linear');
}

/** act(linear + scale · (x · A) · B), shaped as x with the layer's width. */
function withUpdate(linear: tf.Tensor2D, x: tf.Tensor, update: LowRankUpdate, activation: DenseLayer['activation']): tf.Tensor {
  const low = tf.mul(tf.matMul(tf.matMul(asRows(x), update.a), update.b), update.scale);
  const y = activate(tf.add(linear, low), activation);
  return x.rank === 3 ? tf.reshape(y, [x.shape[0]!, x.shape[1]!, linear.shape[1]]) : y;
}

/** W + scale · A · B: the kernel a task's layer computes with, as one matrix (for inference). */
export function mergedKernel(kernel: tf.Tensor2D, update: LowRankUpdate): tf.Tensor2D {
  return tf.tidy(() => tf.add(kernel, tf.mul(tf.matMul(update.a, update.b), update.scale)));
}

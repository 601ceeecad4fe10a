/**
 * Task-specific attention over a shared backbone (MTAN: Liu et al. 2019, "End-to-End Multi-Task Learning with
 * Attention"). The backbone is shared and runs once per batch, as under hard sharing; each task of the share has an
 * attention module at the end of every block of it: after each dense layer, and after each convolution block's last
 * layer (its pooling, or its dropout), before a flatten. At block i, for task t:
 *
 *   mask_i = sigmoid([shared_i ; t_{i-1}] · W + b)      t_i = mask_i ⊙ shared_i
 *
 * with [· ; ·] a concatenation along the last axis (channels), W [channels of shared_i + of t_{i-1}, channels of
 * shared_i] applied at every position (a 1×1 convolution on a feature map), and no t_{i-1} at the first block. On a
 * feature map, t_{i-1} is brought to block i's positions by the backbone's own pooling between the two (and flattened
 * where it flattens). This is the paper's attention block without its inner 1×1 convolution, batch normalisation and
 * 3×3 convolution: one 1×1 convolution and the sigmoid.
 *
 * The next shared layer reads the shared features; what reads the module from outside (the task's tower, its head)
 * reads the task's attended features at that layer (a flatten after a block flattens them). Parameters are named
 * `${module}/attention/${task}/${layer}/kernel` and `…/bias`, created right after the module's layers', task by task,
 * block by block: W Glorot-uniform, b zero. A task's attention trains whenever that task trains and reads the module,
 * even when the module is frozen: they are the task's own.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan, ModulePlan } from '../../../job/job.js';
import { UserError } from '../../errors.js';
import type { LayerRef } from '../graph.js';
import type { ForwardPass, SharingScheme } from './scheme.js';

/** One block's attention for one task: where it reads the shared features and what it reads of the task's previous block. */
export interface AttentionSite {
  module: string;
  task: string;
  /** The layer whose output it masks: the block's last. */
  layer: number;
  /** The task's previous block (its layer), or null at the first block. */
  previous: number | null;
  /** The backbone's pooling and flattening between the previous block and this one, applied to the task's previous features. */
  along: LayerPlan[];
  /** Channels of the shared features, and of the task's previous features once brought along. */
  channels: number;
  previousChannels: number;
}

export interface Attention {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** Layers that start a block, and the others a block may hold after them. */
const BLOCK_STARTS = new Set<LayerPlan['kind']>(['conv2d', 'dense']);
const IN_BLOCK = new Set<LayerPlan['kind']>(['batch_norm', 'pool2d', 'dropout', 'flatten']);

export const mtan: SharingScheme = {
  runnable: true,
  attach(modules, model) {
    const live = new Set(model.job.tasks.map((t) => t.name));
    const sites = new Map<string, AttentionSite>();
    const siteKey = (module: string, layer: number, task: string) => `${module}/${layer}/${task}`;
    const mtanModules = new Set(modules.map((m) => m.id));
    for (const module of modules) {
      if (module.sharing.kind !== 'mtan') continue;
      const shapeAt = (layer: number) => model.shapeOf({ kind: 'layer', module: module.id, layer });
      for (const task of module.sharing.tasks.filter((t) => live.has(t))) {
        for (const site of attentionSites(module, task, shapeAt)) sites.set(siteKey(module.id, site.layer, task), site);
      }
    }
    // The executor computes a module that reads another once per pass for all its tasks; the attended features differ per task.
    for (const reader of model.job.modules) {
      const readsMtan = reader.from.some((ref) => 'module' in ref && mtanModules.has(ref.module));
      if (readsMtan && reader.tasks.length > 1) throw new UserError(`module '${reader.id}' reads an mtan module for several tasks (${reader.tasks.join(', ')}); each task reads its own attended features`);
    }
    const built = new Map<string, Attention>();

    /** The task's attended features at an attention site's layer. */
    const attended = (site: AttentionSite, pass: ForwardPass): tf.Tensor =>
      pass.remember(`mtan:${siteKey(site.module, site.layer, site.task)}`, () => {
        const shared = pass.output({ kind: 'layer', module: site.module, layer: site.layer }, site.task);
        const previous = site.previous === null ? null : bringAlong(attended(sites.get(siteKey(site.module, site.previous, site.task))!, pass), site.along);
        return attend(shared, previous, built.get(siteKey(site.module, site.layer, site.task))!);
      });
    /** What `task` reads of a layer of the module from outside it: its attended features at a block's end (flattened by a flatten after it). */
    const taskView = (ref: LayerRef, task: string, pass: ForwardPass): tf.Tensor | undefined => {
      const site = sites.get(siteKey(ref.module, ref.layer, task));
      if (site) return attended(site, pass);
      if (ref.layer > 0 && model.graph.module(ref.module).layers[ref.layer]!.kind === 'flatten') {
        const before = taskView({ ...ref, layer: ref.layer - 1 }, task, pass);
        return before && tf.reshape(before, [before.shape[0]!, -1]);
      }
      return undefined;
    };

    return {
      addModuleParams(module) {
        for (const site of [...sites.values()].filter((s) => s.module === module.id)) {
          const name = `${module.id}/attention/${site.task}/${site.layer}`;
          const owner = { modules: [module.id], task: site.task };
          const fanIn = site.channels + site.previousChannels;
          built.set(siteKey(site.module, site.layer, site.task), {
            kernel: model.addParam(`${name}/kernel`, owner, model.glorot(`${name}/kernel`, fanIn, site.channels), [fanIn, site.channels]) as tf.Variable<tf.Rank.R2>,
            bias: model.addParam(`${name}/bias`, owner, new Float32Array(site.channels), [site.channels]) as tf.Variable<tf.Rank.R1>,
          });
        }
      },
      taskView,
    };
  },
  trains: (owner, step) => owner.task !== null && step.reads(owner.task, owner.modules[0]!),
};

/** A task's attention sites in a module: one per block, in order. `shapeAt` is a layer's per-row output shape. */
export function attentionSites(module: ModulePlan, task: string, shapeAt: (layer: number) => readonly number[]): AttentionSite[] {
  const { layers } = module;
  layers.forEach((layer, index) => {
    if (!BLOCK_STARTS.has(layer.kind) && !IN_BLOCK.has(layer.kind)) {
      throw new UserError(`module '${module.id}' uses mtan sharing, which attends over dense and convolution blocks; its layer ${index} is a ${layer.kind} layer`);
    }
  });
  const ends: number[] = [];
  layers.forEach((layer, index) => {
    if (!BLOCK_STARTS.has(layer.kind)) return;
    let end = index;
    while (end + 1 < layers.length && !BLOCK_STARTS.has(layers[end + 1]!.kind) && layers[end + 1]!.kind !== 'flatten') end++;
    ends.push(end);
  });
  const channels = (shape: readonly number[]) => shape[shape.length - 1]!;
  return ends.map((layer, i) => {
    const previous = i > 0 ? ends[i - 1]! : null;
    const along = previous === null ? [] : layers.slice(previous + 1, layer + 1).filter((l) => l.kind === 'pool2d' || l.kind === 'flatten');
    let previousChannels = 0;
    if (previous !== null) {
      const brought = shapeAlong(shapeAt(previous), along);
      const shared = shapeAt(layer);
      if (brought.length !== shared.length || brought.slice(0, -1).some((w, k) => w !== shared[k])) {
        throw new UserError(
          `module '${module.id}' uses mtan sharing, but the features of layer ${previous}, pooled as the backbone pools them, are [${brought.join(', ')}] ` +
            `and layer ${layer} gives [${shared.join(', ')}]; they must agree but for the channels`,
        );
      }
      previousChannels = channels(brought);
    }
    return { module: module.id, task, layer, previous, along, channels: channels(shapeAt(layer)), previousChannels };
  });
}

/** A per-row shape after the pooling and flattening `along`. */
function shapeAlong(shape: readonly number[], along: readonly LayerPlan[]): number[] {
  let out = [...shape];
  for (const layer of along) {
    if (layer.kind === 'pool2d') out = [...out.slice(0, -1).map((w) => Math.floor(w / layer.size)), out[out.length - 1]!];
    else if (layer.kind === 'flatten') out = [out.reduce((a, b) => a * b, 1)];
  }
  return out;
}

/** A task's previous features through the backbone's pooling and flattening. */
export function bringAlong(x: tf.Tensor, along: readonly LayerPlan[]): tf.Tensor {
  let out = x;
  for (const layer of along) {
    if (layer.kind === 'pool2d') out = (layer.op === 'max' ? tf.maxPool : tf.avgPool)(out as tf.Tensor4D, layer.size, layer.size, 'valid');
    else if (layer.kind === 'flatten') out = tf.reshape(out, [out.shape[0]!, -1]);
  }
  return out;
}

/**
 * sigmoid([shared ; previous] · kernel + bias) ⊙ shared, the product at every position (a 1×1 convolution on a map).
 * The concatenation is never made: shared · (the kernel's first rows) + previous · (the rest) is the same product, and
 * concatenating along the last axis cost wasm more than the products.
 */
export function attend(shared: tf.Tensor, previous: tf.Tensor | null, attention: Attention): tf.Tensor {
  const rowsOf = (x: tf.Tensor) => tf.reshape(x, [-1, x.shape[x.shape.length - 1]!]) as tf.Tensor2D;
  const channels = shared.shape[shared.shape.length - 1]!;
  const { kernel, bias } = attention;
  const fromPrevious = previous === null ? undefined : tf.matMul(rowsOf(previous), tf.slice(kernel, [channels, 0], [-1, -1]));
  const fromShared = previous === null ? kernel : tf.slice(kernel, [0, 0], [channels, -1]);
  const logits = fromPrevious === undefined ? tf.add(tf.matMul(rowsOf(shared), fromShared), bias) : tf.add(tf.add(tf.matMul(rowsOf(shared), fromShared), fromPrevious), bias);
  return tf.mul(tf.reshape(tf.sigmoid(logits), shared.shape), shared);
}

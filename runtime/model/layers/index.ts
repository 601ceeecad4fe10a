/**
 * Layer kinds, by `LayerPlan.kind`. Every kind of the job has an entry, so a new kind does not compile until it has
 * one: an implementation (one file here), or `notRunnable` until the runtime runs it.
 */
import type { LayerKind, LayerPlan } from '../../../job/job.js';
import { notRunnable } from '../../not-runnable.js';
import { batchNorm } from './batch-norm.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { embedding } from './embedding.js';
import { lstm } from './lstm.js';
import { sequencePool } from './sequence-pool.js';
import { flatten } from './flatten.js';
import type { LayerEntry, LayerRuntime } from './layer.js';
import { mixture } from './mixture.js';
import { moe } from './moe.js';
import { point } from './point.js';
import { pool2d } from './pool2d.js';
import { positions } from './positions.js';
import { transformer } from './transformer.js';

export const layerKinds = {
  dense,
  embedding,
  conv2d,
  pool: notRunnable,
  sequence_pool: sequencePool,
  flatten,
  lstm,
  positions,
  transformer,
  mixture,
  point,
  pool2d,
  batch_norm: batchNorm,
  dropout,
  moe,
} satisfies { [K in LayerKind]: LayerEntry<Extract<LayerPlan, { kind: K }>> };

/** The runtime of a layer that assertRunnable let through. */
export function layerRuntime(layer: LayerPlan): LayerRuntime {
  const entry: LayerEntry<LayerPlan> = layerKinds[layer.kind];
  if (!entry.runnable) throw new Error(`a ${layer.kind} layer reached the model builder; assertRunnable refuses it`);
  return entry;
}

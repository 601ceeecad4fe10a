/**
 * How a head's logits come from what reaches it, by `HeadRuntime.projection`: each builds the head's parameters (named
 * `head/<task>/…`, owned by the task's head) and returns the function from its input to its logits [batch, width].
 */
import * as tf from '@tensorflow/tfjs';
import type { Width } from '../../../job/job.js';
import { UserError } from '../../errors.js';
import { dense } from '../dense.js';
import type { ModelJob } from '../model-job.js';
import { denseParams, type ParamStore } from '../params.js';
import { requireImage } from '../require-image.js';
import { requireVector } from '../require-vector.js';
import { requireSequence } from '../layers/sequence.js';
import type { HeadInfo } from '../types.js';
import type { HeadRuntime } from './head.js';

/** A head's logits from its input, and the batch's token mask [n, length] (null without a token input), made when asked. */
export type HeadLogits = (x: tf.Tensor, tokenMask: () => tf.Tensor2D | null) => tf.Tensor2D;

export interface ProjectionContext {
  readonly head: HeadInfo;
  /** The per-row shape of what reaches the head. */
  readonly reaching: readonly number[];
  readonly job: ModelJob;
  readonly widths: (w: Width) => number;
  readonly store: ParamStore;
}

const owner = (head: HeadInfo) => ({ kind: 'head', task: head.task.name }) as const;

export const projections = {
  dense: ({ head, reaching, store }) => {
    requireVector(reaching, `the head of task '${head.task.name}'`);
    const params = denseParams(store, `head/${head.task.name}`, owner(head), reaching[0]!, head.units);
    return (x) => dense(x as tf.Tensor2D, params.kernel, params.bias, 'linear');
  },
  // Its logits are what reaches it (an objective head's point), of its units' width.
  none: ({ head, reaching }) => {
    requireVector(reaching, `the head of task '${head.task.name}'`);
    if (reaching[0] !== head.units) throw new UserError(`the ${head.task.head.kind} head of task '${head.task.name}' reads ${head.units} values per row, but ${reaching[0]} reach it`);
    return (x) => x as tf.Tensor2D;
  },
  // A 1×1 convolution is one dense layer applied to every pixel; bilinear upsampling after it (rather than before)
  // gives the same logits, since both are linear, on `units` channels instead of the map's.
  pixels: ({ head, reaching, job, widths, store }) => {
    const where = `the ${head.task.head.kind} head of task '${head.task.name}'`;
    const [h, w, channels] = requireImage(reaching, where);
    const [height, width] = targetResolution(head, job, widths);
    if (h > height || w > width) {
      throw new UserError(`${where} reads a ${h}×${w} feature map, larger than its ${height}×${width} image; its labels are one per pixel of the image`);
    }
    const params = denseParams(store, `head/${head.task.name}`, owner(head), channels, head.units);
    const k = head.units;
    // Made per pass from these arrays, so that the model holds no tensor besides its parameters.
    const alongHeight = bilinearWeights(h, height);
    const alongWidth = bilinearWeights(w, width);
    return (x) => {
      const rows = x.shape[0]!;
      const logits = dense(x.reshape([rows * h * w, channels]) as tf.Tensor2D, params.kernel, params.bias, 'linear').reshape([rows, h, w, k]) as tf.Tensor4D;
      const full = h === height && w === width ? logits : upsample(logits, tf.tensor2d(alongHeight, [height, h]), tf.tensor2d(alongWidth, [width, w]));
      return full.reshape([rows, height * width * k]);
    };
  },
  // Start and end logits per position, and the mask beside them: [n, length·3], position by position (heads/span.ts).
  positions: ({ head, reaching, store }) => {
    const where = `the ${head.task.head.kind} head of task '${head.task.name}'`;
    requireSequence(reaching, where);
    const params = denseParams(store, `head/${head.task.name}`, owner(head), reaching[1]!, 2);
    return (x, tokenMask) => {
      const [rows, length, width] = x.shape as [number, number, number];
      const logits = dense(x.reshape([rows * length, width]) as tf.Tensor2D, params.kernel, params.bias, 'linear').reshape([rows, length, 2]);
      const mask = tokenMask();
      if (mask === null) throw new UserError(`${where} reads a sequence whose batch has no tokens input to mark its padding`);
      return tf.concat([logits, mask.expandDims(2)], 2).reshape([rows, length * 3]);
    };
  },
} satisfies Record<HeadRuntime['projection'], (context: ProjectionContext) => HeadLogits>;

/** A dense head labels each pixel of its task's input image: the image's height and width. */
function targetResolution(head: HeadInfo, job: ModelJob, widths: (w: Width) => number): [number, number] {
  const input = job.inputs.find((i) => i.id === head.task.input);
  if (!input || input.kind !== 'image') {
    throw new UserError(`the ${head.task.head.kind} head of task '${head.task.name}' labels the pixels of an image, but its input '${head.task.input}' is not an image`);
  }
  const [height, width] = input.shape.map(widths) as [number, number];
  return [height, width];
}

/**
 * Bilinear upsampling of [n, h, w, k] to [n, H, W, k] as two matrix products, one per axis (it is separable). Not
 * tf.image.resizeBilinear: the cpu backend's gradient of it has the wrong shape when h ≠ w (tfjs 4).
 */
function upsample(x: tf.Tensor4D, alongHeight: tf.Tensor2D, alongWidth: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, k] = x.shape;
  const [height, width] = [alongHeight.shape[0], alongWidth.shape[0]];
  // [n, k, h, w] · Wᵀ over w → [n, k, h, W]; then [n, k, W, h] · Hᵀ over h → [n, k, W, H]; back to [n, H, W, k].
  const wide = tf.matMul(x.transpose([0, 3, 1, 2]).reshape([n * k * h, w]), alongWidth, false, true).reshape([n, k, h, width]);
  const tall = tf.matMul(wide.transpose([0, 1, 3, 2]).reshape([n * k * width, h]), alongHeight, false, true).reshape([n, k, width, height]);
  return tall.transpose([0, 3, 2, 1]);
}

/**
 * [to, from] row-major: output pixel i reads source position (i + ½)·from/to − ½, clamped to the source's pixels, from
 * its two neighbours (half-pixel centres: PyTorch's interpolate(mode='bilinear', align_corners=False), TF2's resize).
 */
export function bilinearWeights(from: number, to: number): Float32Array {
  const weights = new Float32Array(to * from);
  for (let i = 0; i < to; i++) {
    const source = Math.max(0, ((i + 0.5) * from) / to - 0.5);
    const below = Math.min(Math.floor(source), from - 1);
    const above = Math.min(below + 1, from - 1);
    const share = source - below;
    weights[i * from + below] += 1 - share;
    weights[i * from + above] += share;
  }
  return weights;
}

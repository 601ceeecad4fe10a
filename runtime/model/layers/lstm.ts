/**
 * lstm: a sequence [n, length, in] → [n, length, units] (bidirectional: [n, length, 2·units], forward then backward
 * outputs). Gates in the order i, f, g, o (Keras's), fused: the inputs' share of every gate for every step is one matrix
 * product before the loop, x·kernel + bias [in, 4·units]; each step adds h·recurrent [units, 4·units] and applies one
 * sigmoid to all four gates (wasm pays tens of µs per op, so a step is as few ops as it can be):
 *   z = x_t·W + b + h·U;  i, f, o = σ(z_i), σ(z_f), σ(z_o);  g = tanh(z_g);  c = f·c + i·g;  h = o·tanh(c)
 * Padding (mask 0) is at the end of each row: the forward direction's outputs there are zeroed after the loop, and the
 * backward direction, which starts there, keeps its state at zero until the first token (h and c times the mask), so
 * no output depends on padding. The forget gate's bias starts at 1 (Jozefowicz et al. 2015), the others at 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import type { ParamStore } from '../params.js';
import type { ParamOwner } from '../types.js';
import type { LayerRuntime } from './layer.js';
import { requireSequence } from './sequence.js';

type LstmLayer = Extract<LayerPlan, { kind: 'lstm' }>;

interface Direction {
  kernel: tf.Variable;
  recurrent: tf.Variable;
  bias: tf.Variable;
}

function directionParams(store: ParamStore, prefix: string, owner: ParamOwner, input: number, units: number): Direction {
  const bias = new Float32Array(4 * units);
  bias.fill(1, units, 2 * units);
  return {
    kernel: store.add(`${prefix}/kernel`, owner, store.glorot(`${prefix}/kernel`, input, 4 * units), [input, 4 * units]),
    recurrent: store.add(`${prefix}/recurrent`, owner, store.glorot(`${prefix}/recurrent`, units, 4 * units), [units, 4 * units]),
    bias: store.add(`${prefix}/bias`, owner, bias, [4 * units]),
  };
}

/**
 * [n, length, w] as `length` tensors [n, w], unstacked along the first axis of its time-major transpose. On wasm this
 * is still a fifth of a BiLSTM step (profiled in bench/sequence-step.ts: 7-10 ms per unstack at 32 × 20 × 512, against
 * 10 ms along the middle axis; a `length`-way tf.split costs as much). A sequence of one position is only reshaped: on
 * wasm the gradient of a one-output Unpack gets no dy (tfjs then stacks a null).
 */
function timeSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [n, length, width] = x.shape;
  return length === 1 ? [tf.reshape(x, [n, width])] : (tf.unstack(tf.transpose(x, [1, 0, 2])) as tf.Tensor2D[]);
}

/** One direction over the sequence; `steps` are the time indices in the order it reads them. */
function run(x: tf.Tensor3D, params: Direction, units: number, masks: tf.Tensor2D[] | null, backward: boolean): tf.Tensor3D {
  const [n, length, width] = x.shape;
  const inputs = timeSteps(tf.reshape(tf.add(tf.matMul(tf.reshape(x, [n * length, width]), params.kernel as tf.Tensor2D), params.bias), [n, length, 4 * units]));
  let h: tf.Tensor2D = tf.zeros([n, units]);
  let c: tf.Tensor2D = tf.zeros([n, units]);
  const outputs: tf.Tensor2D[] = new Array(length);
  for (let k = 0; k < length; k++) {
    const t = backward ? length - 1 - k : k;
    const z = tf.add(inputs[t]!, tf.matMul(h, params.recurrent as tf.Tensor2D));
    const [i, f, , o] = tf.split(tf.sigmoid(z), 4, 1) as tf.Tensor2D[];
    const g = tf.tanh(tf.slice(z, [0, 2 * units], [n, units]));
    c = tf.add(tf.mul(f!, c), tf.mul(i!, g));
    if (backward && masks) c = tf.mul(c, masks[t]!);
    h = tf.mul(o!, tf.tanh(c));
    if (backward && masks) h = tf.mul(h, masks[t]!);
    outputs[t] = h;
  }
  const stacked = tf.stack(outputs, 1) as tf.Tensor3D;
  return masks && !backward ? tf.mul(stacked, tf.stack(masks, 1)) : stacked;
}

export const lstm: LayerRuntime<LstmLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    requireSequence(input!, where);
    return [input![0]!, layer.bidirectional ? 2 * layer.units : layer.units];
  },
  build(layer, [input], site) {
    const width = input![1]!;
    const forward = directionParams(site.store, site.prefix, site.owner, width, layer.units);
    const backward = layer.bidirectional ? directionParams(site.store, `${site.prefix}/backward`, site.owner, width, layer.units) : null;
    return ([x], call) => {
      const mask = call.tokenMask?.() ?? null;
      const masks = mask === null ? null : timeSteps(tf.expandDims(mask, 2) as tf.Tensor3D);
      const ahead = run(x as tf.Tensor3D, forward, layer.units, masks, false);
      return backward ? tf.concat([ahead, run(x as tf.Tensor3D, backward, layer.units, masks, true)], 2) : ahead;
    };
  },
  examples: [
    // one step, units 1, x = 1: z = x·W + b = [0.5, -0.5, 1, 0] (h = 0); c = σ(0.5)·tanh(1); h = σ(0)·tanh(c)
    {
      layer: { kind: 'lstm', units: 1, bidirectional: false },
      params: { kernel: [0.5, -0.5, 1, 0], recurrent: [0, 0, 0, 0], bias: [0, 0, 0, 0] },
      inputs: [{ shape: [1, 1, 1], values: [1] }],
      output: { shape: [1, 1, 1], values: [sigmoid(0) * Math.tanh(sigmoid(0.5) * Math.tanh(1))] },
    },
    // two steps, x = [1, 2]: step 1 as above with bias f = 1: z1 = [0.5, 0.5, 1, 0]; step 2 adds h1·U, U = [1, 1, 1, 1]
    {
      layer: { kind: 'lstm', units: 1, bidirectional: false },
      params: { kernel: [0.5, -0.5, 1, 0], recurrent: [1, 1, 1, 1], bias: [0, 1, 0, 0] },
      inputs: [{ shape: [1, 2, 1], values: [1, 2] }],
      output: { shape: [1, 2, 1], values: handLstm([1, 2], [0.5, -0.5, 1, 0], [1, 1, 1, 1], [0, 1, 0, 0]) },
    },
    // bidirectional over [1, 2, pad]: forward as above then 0 at the padding; backward reads 2 then 1 from zero state
    {
      layer: { kind: 'lstm', units: 1, bidirectional: true },
      params: {
        kernel: [0.5, -0.5, 1, 0], recurrent: [1, 1, 1, 1], bias: [0, 1, 0, 0],
        'backward/kernel': [1, 1, 1, 1], 'backward/recurrent': [0.5, 0.5, 0.5, 0.5], 'backward/bias': [0, 0, 0, 0],
      },
      inputs: [{ shape: [1, 3, 1], values: [1, 2, 9] }],
      mask: { shape: [1, 3], values: [1, 1, 0] },
      output: {
        shape: [1, 3, 2],
        values: interleave(
          [...handLstm([1, 2], [0.5, -0.5, 1, 0], [1, 1, 1, 1], [0, 1, 0, 0]), 0],
          [...handLstm([2, 1], [1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5], [0, 0, 0, 0]).reverse(), 0],
        ),
      },
    },
  ],
};

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** The hand computation of one unit over scalar inputs, step by step (the examples' reference). */
function handLstm(xs: number[], w: number[], u: number[], b: number[]): number[] {
  let h = 0;
  let c = 0;
  return xs.map((x) => {
    const z = [0, 1, 2, 3].map((k) => x * w[k]! + h * u[k]! + b[k]!);
    c = sigmoid(z[1]!) * c + sigmoid(z[0]!) * Math.tanh(z[2]!);
    h = sigmoid(z[3]!) * Math.tanh(c);
    return h;
  });
}

function interleave(a: number[], b: number[]): number[] {
  return a.flatMap((v, i) => [v, b[i]!]);
}

/**
 * moe: a sparse mixture of experts over vectors (Shazeer et al. 2017; capacity and the balance loss of Fedus et al.
 * 2021, the Switch Transformer). For a batch x [n, in]:
 *   router    p = softmax(x · router + bias) [n, E]
 *   routing   each row's top_k experts by p (ties to the lower index); in training, expert e takes at most
 *             ceil(capacity · top_k · n / E) assignments, in row order: a row's assignment past that is dropped
 *   output    y_r = Σ over the row's kept experts e of p_re / (Σ over its k selected experts of p_re) · expert_e(x_r):
 *             the weights are the router probabilities renormalised over the k (Shazeer et al.'s softmax over the
 *             top-k logits), so a dropped assignment leaves its share out and a row every expert dropped gets zeros
 *   balance   balance · E · Σ_e f_e · P_e, f_e the share of the batch's n·k assignments the router sent to e (before
 *             capacity), P_e the mean of p_e over the rows: `balance` when routing is uniform, more when skewed
 * Each expert runs only on the rows it kept (gathered), so its cost is its share of the batch; routing is read back
 * from the device once per pass. bench/moe-mixing.ts times this against running every expert on every row and masking
 * (`mixAll`): on wasm at census-moe.mtl's size the gathered form was the faster, dense / gathered 1.07 to 1.37 in
 * three runs on a loaded machine (1.07 with experts of 16 units). The router learns from the task losses through the weights (with top_k 1 the
 * renormalised weight is 1, so then it learns from the balance loss alone) and from the balance loss through P.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import { denseParams } from '../params.js';
import { requireVector } from '../require-vector.js';
import { dense } from './dense.js';
import { mixExperts } from './mixture.js';
import type { LayerCall, LayerFn, LayerRuntime } from './layer.js';

type MoeLayer = Extract<LayerPlan, { kind: 'moe' }>;

/** The routing of one batch, decided from the router probabilities [n, E] (row-major). */
export interface Routing {
  /** Each row's selected experts, best first, [n · k]. */
  selected: Int32Array;
  /** Whether each selected assignment fits its expert's capacity, [n · k]. */
  kept: Uint8Array;
  /** Per expert, the rows it takes, in row order. */
  rowsOf: number[][];
  /** Assignments the router sent to each expert, before capacity. */
  routed: number[];
  dropped: number;
}

export function route(probs: Float32Array | number[], rows: number, experts: number, topK: number, capacity: number): Routing {
  const limit = Math.ceil((capacity * topK * rows) / experts);
  const selected = new Int32Array(rows * topK);
  const kept = new Uint8Array(rows * topK);
  const rowsOf: number[][] = Array.from({ length: experts }, () => []);
  const routed = new Array<number>(experts).fill(0);
  let dropped = 0;
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: experts }, (_, e) => e).sort((a, b) => probs[r * experts + b]! - probs[r * experts + a]! || a - b);
    for (let j = 0; j < topK; j++) {
      const e = order[j]!;
      selected[r * topK + j] = e;
      routed[e]!++;
      if (rowsOf[e]!.length < limit) {
        kept[r * topK + j] = 1;
        rowsOf[e]!.push(r);
      } else dropped++;
    }
  }
  return { selected, kept, rowsOf, routed, dropped };
}

/** balance · E · Σ_e f_e · P_e, with f fixed by the routing and P the mean router probability (its gradient path). */
export function balanceLoss(probs: tf.Tensor2D, routing: Routing, topK: number, balance: number): tf.Scalar {
  const [rows, experts] = probs.shape;
  const f = tf.tensor1d(routing.routed.map((count) => count / (rows * topK)));
  return tf.mul(tf.sum(tf.mul(f, tf.mean(probs, 0))), balance * experts) as tf.Scalar;
}

export const moe: LayerRuntime<MoeLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    requireVector(input!, where);
    return [layer.expert.length === 0 ? input![0]! : layer.expert[layer.expert.length - 1]!.units];
  },
  build(layer, [input], site) {
    const width = input![0]!;
    const router = denseParams(site.store, `${site.prefix}/router`, site.owner, width, layer.experts);
    const experts = Array.from({ length: layer.experts }, (_, e) => {
      let shape = [width];
      return layer.expert.map((plan, i) => {
        const built = dense.build(plan, [shape], { ...site, where: `${site.where} expert ${e} layer ${i}`, prefix: `${site.prefix}/expert${e}/${i}` });
        shape = [plan.units];
        return built;
      });
    });
    const outWidth = layer.expert.length === 0 ? width : layer.expert[layer.expert.length - 1]!.units;
    const runExpert = (e: number, x: tf.Tensor2D, call: LayerCall): tf.Tensor2D =>
      experts[e]!.reduce<tf.Tensor>((h, fn, i) => fn([h], { ...call, inputIsData: call.inputIsData && i === 0 }), x) as tf.Tensor2D;
    const fn: LayerFn = ([x], call) => {
      const rows = x!.shape[0]!;
      const probs = tf.softmax(tf.add(tf.matMul(x as tf.Tensor2D, router.kernel), router.bias)) as tf.Tensor2D;
      // Capacity bounds a training batch's cost; outside training every row keeps its experts, so a prediction does
      // not depend on the other rows of its batch (predict, serve and its feature cache see rows alone).
      const routing = route(probs.dataSync() as Float32Array, rows, layer.experts, layer.topK, call.training ? layer.capacity : Infinity);
      if (call.training) {
        const loss = balanceLoss(probs, routing, layer.topK, layer.balance);
        call.auxiliaryLoss?.(loss);
        site.routing?.record(site.prefix, {
          rows, assignments: rows * layer.topK, dropped: routing.dropped, routed: routing.routed, balanceLoss: loss.dataSync()[0]!,
        });
      }
      return mixSelected(x as tf.Tensor2D, probs, routing, layer.topK, outWidth, (e, xe) => runExpert(e, xe, call));
    };
    return fn;
  },
  examples: [
    // router kernel [[1, 0], [0, 1]]: row [ln 3, 0] → p = [¾, ¼], row [0, ln 3] → p = [¼, ¾]. top-1, capacity 1 →
    // ceil(1·1·2/2) = 1 row each: row 1 to expert 0 (weight 1), row 2 to expert 1 (weight 1). Experts: dense 1 unit,
    // linear, kernels [1, 1] and [2, 0]: row 1 → ln 3 + 0 = ln 3, row 2 → 2·0 = 0.
    {
      layer: { kind: 'moe', experts: 2, topK: 1, capacity: 1, balance: 0.01, expert: [{ kind: 'dense', units: 1, activation: 'linear', dropout: 0 }] },
      params: {
        'router/kernel': [1, 0, 0, 1], 'router/bias': [0, 0],
        'expert0/0/kernel': [1, 1], 'expert0/0/bias': [0], 'expert1/0/kernel': [2, 0], 'expert1/0/bias': [0],
      },
      inputs: [{ shape: [2, 2], values: [Math.log(3), 0, 0, Math.log(3)] }],
      output: { shape: [2, 1], values: [Math.log(3), 0] },
    },
    // the same, top-2 (both experts, weights p): row 1 ¾·ln 3 + ¼·2 ln 3 = 1.25 ln 3; row 2 ¼·ln 3 + ¾·0 = 0.25 ln 3
    {
      layer: { kind: 'moe', experts: 2, topK: 2, capacity: 1, balance: 0.01, expert: [{ kind: 'dense', units: 1, activation: 'linear', dropout: 0 }] },
      params: {
        'router/kernel': [1, 0, 0, 1], 'router/bias': [0, 0],
        'expert0/0/kernel': [1, 1], 'expert0/0/bias': [0], 'expert1/0/kernel': [2, 0], 'expert1/0/bias': [0],
      },
      inputs: [{ shape: [2, 2], values: [Math.log(3), 0, 0, Math.log(3)] }],
      output: { shape: [2, 1], values: [1.25 * Math.log(3), 0.25 * Math.log(3)] },
    },
    // three rows all prefer expert 0 (router bias [1, 0], kernel 0), top-1, capacity 1: in training ceil(1·1·3/2) = 2
    // rows would fit and row 3 would get 0 (test/runtime/model-moe.test.ts); outside training none drops: y = x
    {
      layer: { kind: 'moe', experts: 2, topK: 1, capacity: 1, balance: 0.01, expert: [{ kind: 'dense', units: 1, activation: 'linear', dropout: 0 }] },
      params: {
        'router/kernel': [0, 0], 'router/bias': [1, 0],
        'expert0/0/kernel': [1], 'expert0/0/bias': [0], 'expert1/0/kernel': [5], 'expert1/0/bias': [0],
      },
      inputs: [{ shape: [3, 1], values: [1, 2, 3] }],
      output: { shape: [3, 1], values: [1, 2, 3] },
    },
  ],
};

/**
 * Each expert on its kept rows only, and the rows' outputs put back together: expert outputs stacked with a row of
 * zeros (for dropped assignments), gathered per (row, slot), weighted by the renormalised router probabilities.
 */
export function mixSelected(
  x: tf.Tensor2D, probs: tf.Tensor2D, routing: Routing, topK: number, width: number,
  runExpert: (e: number, rows: tf.Tensor2D) => tf.Tensor2D,
): tf.Tensor2D {
  const rows = x.shape[0];
  const experts = probs.shape[1];
  const outputs: tf.Tensor2D[] = [];
  const start: number[] = [];
  let at = 0;
  routing.rowsOf.forEach((taken, e) => {
    start.push(at);
    if (taken.length === 0) return;
    outputs.push(runExpert(e, tf.gather(x, taken)));
    at += taken.length;
  });
  const zeroRow = at;
  const stacked = tf.concat([...outputs, tf.zeros([1, width])], 0);
  // Where each (row, slot) finds its expert's output, and that output's weight in the router's probabilities.
  const slotRow = new Int32Array(rows * topK);
  const flatProb = new Int32Array(rows * topK);
  const slotKept = new Float32Array(rows * topK);
  const position = new Array<number>(experts).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < topK; j++) {
      const slot = r * topK + j;
      const e = routing.selected[slot]!;
      flatProb[slot] = r * experts + e;
      if (routing.kept[slot]) {
        slotRow[slot] = start[e]! + position[e]!++;
        slotKept[slot] = 1;
      } else slotRow[slot] = zeroRow;
    }
  }
  const selectedProbs = tf.reshape(tf.gather(tf.reshape(probs, [-1]), tf.tensor1d(flatProb, 'int32')), [rows, topK]);
  const weights = tf.mul(tf.div(selectedProbs, tf.sum(selectedProbs, 1, true)), tf.tensor2d(slotKept, [rows, topK]));
  const gathered = tf.reshape(tf.gather(stacked, tf.tensor1d(slotRow, 'int32')), [rows, topK, width]);
  return tf.sum(tf.mul(gathered, tf.expandDims(weights, 2)), 1) as tf.Tensor2D;
}

/**
 * The same output computed densely: every expert on every row, weighted by the renormalised probabilities of its kept
 * assignments (zero elsewhere). Not what the layer runs: bench/moe-mixing.ts times it against `mixSelected`.
 */
export function mixAll(
  x: tf.Tensor2D, probs: tf.Tensor2D, routing: Routing, topK: number, runExpert: (e: number, rows: tf.Tensor2D) => tf.Tensor2D,
): tf.Tensor2D {
  const [rows, experts] = probs.shape;
  const selected = new Float32Array(rows * experts);
  const kept = new Float32Array(rows * experts);
  for (let slot = 0; slot < rows * topK; slot++) {
    const at = Math.floor(slot / topK) * experts + routing.selected[slot]!;
    selected[at] = 1;
    kept[at] = routing.kept[slot]!;
  }
  const chosen = tf.mul(probs, tf.tensor2d(selected, [rows, experts]));
  const weights = tf.mul(tf.div(chosen, tf.sum(chosen, 1, true)), tf.tensor2d(kept, [rows, experts])) as tf.Tensor2D;
  return mixExperts(Array.from({ length: experts }, (_, e) => runExpert(e, x)), weights);
}

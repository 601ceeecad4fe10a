/**
 * mixture: a task's layer of a multi-gate mixture of experts (Ma et al. 2018). The experts and the gates are ordinary
 * modules the compiler emits (an expert reads the input; a task's gate is one dense softmax layer with a unit per
 * expert); the mixture reads their last layers and adds the experts' outputs weighted by its gate: Σ_k gate_k · expert_k.
 * It has no parameters, and the experts, memoized like any module, run once per batch however many tasks mix them.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import { UserError } from '../../errors.js';
import { moduleOutput } from '../refs.js';
import type { LayerRuntime } from './layer.js';

type MixtureLayer = Extract<LayerPlan, { kind: 'mixture' }>;

export const mixture: LayerRuntime<MixtureLayer> = {
  runnable: true,
  /** Its experts, then its gate. */
  sources: (layer, job, readBy) => [...layer.experts.map((e) => moduleOutput(job, e, readBy)), moduleOutput(job, layer.gate, readBy)],
  outputShape: (layer, shapes, where) => mixtureShape(where, layer, shapes.slice(0, -1), shapes[shapes.length - 1]!),
  build: () => (inputs) => mixExperts(inputs.slice(0, -1) as tf.Tensor2D[], inputs[inputs.length - 1] as tf.Tensor2D),
  examples: [
    // row 1: ¼·[1, 2] + ¾·[2, 2] = [1.75, 2]; row 2: ½·[0, 0] + ½·[0, 1] = [0, 0.5]
    {
      layer: { kind: 'mixture', experts: ['e0', 'e1'], gate: 'g' },
      params: {},
      inputs: [{ shape: [2, 2], values: [1, 2, 0, 0] }, { shape: [2, 2], values: [2, 2, 0, 1] }, { shape: [2, 2], values: [0.25, 0.75, 0.5, 0.5] }],
      output: { shape: [2, 2], values: [1.75, 2, 0, 0.5] },
    },
  ],
};

/** `experts`: K tensors [batch, units]; `gate`: [batch, K], each row summing to 1. Returns [batch, units]. */
export function mixExperts(experts: readonly tf.Tensor2D[], gate: tf.Tensor2D): tf.Tensor2D {
  // [batch, K, units] · [batch, K, 1], summed over the experts.
  return tf.sum(tf.mul(tf.stack(experts as tf.Tensor2D[], 1), tf.expandDims(gate, 2)), 1);
}

/**
 * The per-row output shape of a mixture from its experts' and gate's shapes: the experts must agree
 * on one vector shape, and the gate must have a unit per expert.
 */
function mixtureShape(where: string, layer: MixtureLayer, expertShapes: readonly (readonly number[])[], gateShape: readonly number[]): number[] {
  if (layer.experts.length === 0) throw new UserError(`${where} mixes no experts`);
  const first = expertShapes[0]!;
  expertShapes.forEach((shape, k) => {
    if (shape.length !== 1 || shape[0] !== first[0] || first.length !== 1) {
      throw new UserError(
        `${where} mixes experts of different shapes: '${layer.experts[0]}' gives [${first.join(', ')}], ` +
          `'${layer.experts[k]}' gives [${shape.join(', ')}]; a mixture needs experts with one vector shape`,
      );
    }
  });
  if (gateShape.length !== 1 || gateShape[0] !== layer.experts.length) {
    throw new UserError(
      `${where} has ${layer.experts.length} experts but its gate '${layer.gate}' gives [${gateShape.join(', ')}]; ` +
        `the gate needs one unit per expert`,
    );
  }
  return [...first];
}

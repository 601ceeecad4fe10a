/**
 * The two objectives of the toy problem of Liu et al. 2021 (CAGrad, `toy.py` of Cranial-XIX/CAGrad), which Navon et
 * al. 2022 (Nash-MTL, `experiments/toy/problem.py` of AvivNavon/nash-mtl) reuse, as functions of each row's point
 * (x1, x2), written from their formulas:
 *
 *   f1 = c1·(log max(|(−x1 − 7)/2 − tanh(−x2)|, 5e-6) + 6) + c2·(((x1 − 7)² + 0.1·(x2 + 8)²)/10 − 20)
 *   f2 = c1·(log max(|(−x1 + 3)/2 + tanh(−x2) + 2|, 5e-6) + 6) + c2·(((x1 + 7)² + 0.1·(x2 + 8)²)/10 − 20)
 *   c1 = max(tanh(x2/2), 0),  c2 = max(tanh(−x2/2), 0)
 *
 * For x2 < 0 only the quadratic parts count; their Pareto set lies near x2 ≈ −8.36 for x1 in [−7, 7]. `max` passes
 * its gradient to its first argument at a tie, as `torch.clamp` does (at x2 = 0, a start point of Nash-MTL's, c1
 * and c2 both have slope ±½ there).
 */
import * as tf from '@tensorflow/tfjs';

const LOWER = 5e-6;

type Objective = (points: tf.Tensor) => tf.Tensor1D;

/** Each row's (x1, x2), as two [n] tensors. */
function coordinates(points: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  if (points.rank !== 2 || points.shape[1] !== 2) throw new Error(`a toy objective reads [n, 2] points, got [${points.shape.join(', ')}]`);
  const [x1, x2] = tf.split(points as tf.Tensor2D, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  return [x1.reshape([-1]), x2.reshape([-1])];
}

/** c1·(log max(|inner|, 5e-6) + 6) + c2·(((x1 − centre)² + 0.1·(x2 + 8)²)/10 − 20). */
function toyObjective(inner: (x1: tf.Tensor1D, x2: tf.Tensor1D) => tf.Tensor1D, centre: number): Objective {
  return (points) => {
    const [x1, x2] = coordinates(points);
    const logPart = tf.add(tf.log(tf.maximum(tf.abs(inner(x1, x2)), LOWER)), 6);
    const quadratic = tf.sub(tf.div(tf.add(tf.square(tf.sub(x1, centre)), tf.mul(0.1, tf.square(tf.add(x2, 8)))), 10), 20);
    const c1 = tf.maximum(tf.tanh(tf.mul(x2, 0.5)), 0);
    const c2 = tf.maximum(tf.tanh(tf.mul(x2, -0.5)), 0);
    return tf.add(tf.mul(c1, logPart), tf.mul(c2, quadratic)) as tf.Tensor1D;
  };
}

export const toyObjectives = {
  // (−x1 − 7)/2 − tanh(−x2)
  toy_f1: toyObjective((x1, x2) => tf.sub(tf.mul(tf.sub(tf.neg(x1), 7), 0.5), tf.tanh(tf.neg(x2))), 7),
  // (−x1 + 3)/2 + tanh(−x2) + 2
  toy_f2: toyObjective((x1, x2) => tf.add(tf.add(tf.mul(tf.add(tf.neg(x1), 3), 0.5), tf.tanh(tf.neg(x2))), 2), -7),
} satisfies Record<string, Objective>;

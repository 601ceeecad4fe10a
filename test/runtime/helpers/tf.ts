/** tfjs set-up and small tensor helpers shared by runtime tests. */
import * as tf from '@tensorflow/tfjs';
import type { MtlModel } from '../../../runtime/model/types.js';

/** Tests run on the cpu backend: fast for tiny models, and deterministic. */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Sets parameters by their stable names (`trunk/0/kernel`); every name must exist. */
export function setWeights(model: MtlModel, values: Record<string, number[]>): void {
  for (const [name, data] of Object.entries(values)) {
    const param = model.params.find((p) => p.name === name);
    if (!param) throw new Error(`the model has no parameter '${name}' (it has ${model.params.map((p) => p.name).join(', ')})`);
    tf.tidy(() => param.variable.assign(tf.tensor(data, param.variable.shape)));
  }
}

export function weightsOf(model: MtlModel): Record<string, number[]> {
  return Object.fromEntries(model.params.map((p) => [p.name, Array.from(p.variable.dataSync())]));
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5, what = 'values'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!)))) {
      throw new Error(`${what}[${i}]: ${actual[i]} vs expected ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}

/** Gradients of `f` with respect to every parameter, by name; parameters `f` does not reach are absent. */
export function gradientsByName(model: MtlModel, f: () => tf.Scalar): Map<string, number[]> {
  const byVariable = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const { value, grads } = tf.variableGrads(f, model.params.map((p) => p.variable));
  const out = new Map<string, number[]>();
  for (const [name, g] of Object.entries(grads)) {
    if (g) out.set(byVariable.get(name)!, Array.from(g.dataSync()));
    g?.dispose();
  }
  value.dispose();
  return out;
}

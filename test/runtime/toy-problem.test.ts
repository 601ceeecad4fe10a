/**
 * The toy problem's pieces (bench/toy/toy.mtl): the objectives' values and gradients at points worked by hand from
 * their formulas (runtime/train/toy-objectives.ts), the `point` layer's value and gradient, and the program itself:
 * it compiles to a point shared by two objective heads with no parameters of their own, and a step of it moves the
 * point by Adam's first step.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compileProgram } from '../../compiler/compile.js';
import type { Job } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import { point } from '../../runtime/model/layers/point.js';
import { paramStore } from '../../runtime/model/params.js';
import { Random } from '../../runtime/random.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { toyObjectives } from '../../runtime/train/toy-objectives.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

const sech2 = (x: number) => 1 / Math.cosh(x) ** 2;
const t1 = Math.tanh(1);
const t2 = Math.tanh(2);
const t4 = Math.tanh(4);
// float32 arithmetic against double-precision hand values
const TOLERANCE = 1e-5;

/** Each case: a point, and f1, f2 with their gradients (∂/∂x1, ∂/∂x2) from the formulas. */
const cases: { at: [number, number]; f1: number; g1: [number, number]; f2: number; g2: [number, number]; why: string }[] = [
  {
    // c1 = 0, c2 = tanh 4, c2' = −½ sech² 4; q1 = −20, ∂q1/∂x1 = 2(x1 − 7)/10 = 0; q2 = 14²/10 − 20 = −0.4, ∂q2/∂x1 = 2.8;
    // ∂q/∂x2 = 0.02(x2 + 8) = 0
    at: [7, -8], why: 'quadratic parts only (x2 < 0)',
    f1: -20 * t4, g1: [0, -0.5 * sech2(4) * -20],
    f2: -0.4 * t4, g2: [2.8 * t4, -0.5 * sech2(4) * -0.4],
  },
  {
    // c1 = tanh 1, c1' = ½ sech² 1, c2 = 0 (and flat); u = (−x1 − 7)/2 − tanh(−x2) = tanh 2, ∂u = (−½, sech² 2);
    // v = (−x1 + 3)/2 + tanh(−x2) + 2 = 7 − tanh 2, ∂v = (−½, −sech² 2); f = c1(log u + 6), ∂f = c1 ∂u/u + (0, c1'(log u + 6))
    at: [-7, 2], why: 'log parts only (x2 > 0)',
    f1: t1 * (Math.log(t2) + 6), g1: [(t1 * -0.5) / t2, 0.5 * sech2(1) * (Math.log(t2) + 6) + (t1 * sech2(2)) / t2],
    f2: t1 * (Math.log(7 - t2) + 6), g2: [(t1 * -0.5) / (7 - t2), 0.5 * sech2(1) * (Math.log(7 - t2) + 6) - (t1 * sech2(2)) / (7 - t2)],
  },
  {
    // c1 = c2 = 0, but max passes the slopes at the tie as torch.clamp does: ∂c1/∂x2 = ½, ∂c2/∂x2 = −½;
    // log parts log 3.5 + 6 (u = −3.5, v = 3.5), quadratic parts (49 + 6.4)/10 − 20 = −14.46; nothing depends on x1 here
    at: [0, 0], why: 'a start point on the seam x2 = 0',
    f1: 0, g1: [0, 0.5 * (Math.log(3.5) + 6) + 0.5 * 14.46],
    f2: 0, g2: [0, 0.5 * (Math.log(3.5) + 6) + 0.5 * 14.46],
  },
];

function valueAndGradient(name: 'toy_f1' | 'toy_f2', at: [number, number]): { value: number; gradient: number[] } {
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => toyObjectives[name](x).sum() as tf.Scalar)(tf.tensor2d([at]));
    return { value: value.dataSync()[0]!, gradient: Array.from(grad.dataSync()) };
  });
}

describe('the toy objectives (CAGrad, Liu et al. 2021)', () => {
  before(useCpu);

  for (const c of cases) {
    it(`at (${c.at.join(', ')}), ${c.why}: values and gradients as worked by hand`, () => {
      const f1 = valueAndGradient('toy_f1', c.at);
      const f2 = valueAndGradient('toy_f2', c.at);
      assertAllClose([f1.value, f2.value], [c.f1, c.f2], TOLERANCE, 'values');
      assertAllClose(f1.gradient, c.g1, TOLERANCE, '∇f1');
      assertAllClose(f2.gradient, c.g2, TOLERANCE, '∇f2');
    });
  }

  it('is clamped below at log 5e-6 + 6 where the log part vanishes', () => {
    // x2 = 2: u = (−x1 − 7)/2 + tanh 2 = 0 at x1 = 2 tanh 2 − 7; f1 = tanh 1·(log 5e-6 + 6) there (float32: |u| ≤ 5e-6)
    const { value } = valueAndGradient('toy_f1', [2 * t2 - 7, 2]);
    assertAllClose([value], [t1 * (Math.log(5e-6) + 6)], 1e-3, 'f1');
  });

  it('evaluates each row of a batch apart', () => {
    const values = tf.tidy(() => Array.from(toyObjectives.toy_f1(tf.tensor2d([[7, -8], [0, 0]])).dataSync()));
    assertAllClose(values, [-20 * t4, 0], TOLERANCE, 'f1 per row');
  });
});

describe('the point layer', () => {
  before(useCpu);

  it('starts at init, gives every row the point, and sums the rows\' gradients into it', () => {
    const store = paramStore(new Random(0));
    const layer = { kind: 'point' as const, init: [-8.5, 7.5] };
    const fn = point.build(layer, [[1]], { where: 'test', prefix: 'x/0', owner: { kind: 'module', module: 'x' }, store });
    assert.deepEqual(store.params.map((p) => p.name), ['x/0/point']);
    const variable = store.params[0]!.variable;
    assert.deepEqual(Array.from(variable.dataSync()), [-8.5, 7.5]);
    const call = { training: true, inputIsData: true, dropoutSeed: () => 0 };
    const input = tf.tensor2d([[1], [5], [-2]]);
    assert.deepEqual(tf.tidy(() => fn([input], call).arraySync()), [[-8.5, 7.5], [-8.5, 7.5], [-8.5, 7.5]]);
    // d/dp Σ_rows (row · [1, 2]) = 3·[1, 2]
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(fn([input], call), tf.tensor1d([1, 2]))) as tf.Scalar, [variable]);
    assert.deepEqual(Array.from(grads[variable.name]!.dataSync()), [3, 6]);
    tf.dispose([input, ...Object.values(grads)]);
    variable.dispose();
  });
});

describe('bench/toy/toy.mtl', () => {
  before(useCpu);

  const compiled = compileProgram({ file: 'bench/toy/toy.mtl' }, { verifyIr: true });
  const job = compiled.job as Job;

  it('checks without a diagnostic', () => {
    assert.deepEqual(compiled.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  });

  it('compiles to one point shared by two objective tasks, whose target is the constant the loss ignores', () => {
    assert.deepEqual(job.modules.map((m) => ({ layers: m.layers, tasks: m.tasks })), [{ layers: [{ kind: 'point', init: [-8.5, 7.5] }], tasks: ['f1', 'f2'] }]);
    assert.deepEqual(job.tasks.map((t) => [t.name, t.head.kind, t.loss, t.weight, t.target]), [
      ['f1', 'objective', 'toy_f1', 0.1, { lit: 0 }],
      ['f2', 'objective', 'toy_f2', 1, { lit: 0 }],
    ]);
  });

  it('builds a model whose one parameter is the point, and a step moves it by Adam\'s first step against the weighted gradient', () => {
    const model = buildModel(job, (w) => (typeof w === 'number' ? w : 1), 0);
    try {
      assert.deepEqual(model.params.map((p) => p.name), ['x/0/point']);
      const logits = tf.tidy(() => [...model.forward({ [job.tasks[0]!.input]: tf.ones([2, 1]) }, ['f1', 'f2'], false).values()].map((l) => l.arraySync()));
      assert.deepEqual(logits, [[[-8.5, 7.5], [-8.5, 7.5]], [[-8.5, 7.5], [-8.5, 7.5]]]);
      const optimizer = makeOptimizer(job.training.optimizer, () => 1);
      const step = makeTrainStep(model, optimizer, { learningRate: () => 0.001 });
      const batch: Batch = {
        dataset: 'rows',
        size: 1,
        inputs: { [job.tasks[0]!.input]: { data: new Float32Array([1]), shape: [1, 1] } },
        labels: Object.fromEntries(job.tasks.map((t) => [t.name, { values: { data: new Float32Array([0]), shape: [1] }, mask: new Float32Array([1]) }])),
      };
      const total = step(batch);
      // the total is 0.1·f1 + f2 at the start point; Adam's first step is lr·sign(gradient) (up to epsilon), and at
      // (−8.5, 7.5) both coordinates of 0.1∇f1 + ∇f2 are nonzero
      const f1 = valueAndGradient('toy_f1', [-8.5, 7.5]);
      const f2 = valueAndGradient('toy_f2', [-8.5, 7.5]);
      assertAllClose([total], [0.1 * f1.value + f2.value], TOLERANCE, 'total');
      const gradient = f1.gradient.map((g, i) => 0.1 * g + f2.gradient[i]!);
      assertAllClose(Array.from(model.params[0]!.variable.dataSync()), [-8.5 - 0.001 * Math.sign(gradient[0]!), 7.5 - 0.001 * Math.sign(gradient[1]!)], TOLERANCE, 'point');
      optimizer.dispose();
    } finally {
      model.dispose();
    }
  });
});

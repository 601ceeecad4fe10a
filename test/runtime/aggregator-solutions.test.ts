/**
 * What two aggregators' small problems must satisfy, beyond their hand-worked examples (aggregators/<kind>.ts):
 * Nash-MTL's weights solve its bargaining equations, and Aligned-MTL's aligned task gradients have condition number 1
 * and sum to the update it applies. Checked on seeded random Jacobians (nearly parallel and conflicting rows among
 * them) as well as on hand-made ones.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../runtime/random.js';
import type { Aggregator, TaskGradients } from '../../runtime/train/aggregators/aggregator.js';
import { alignedMtl, alignmentMatrix } from '../../runtime/train/aggregators/aligned-mtl.js';
import { gramMatrix, symmetricEigen, times, type Matrix } from '../../runtime/train/aggregators/gram.js';
import { nashMtl, nashMtlWeights } from '../../runtime/train/aggregators/nash-mtl.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

const TOLERANCE = 1e-6;

const gramOf = (j: Matrix): Matrix => j.map((a) => j.map((b) => a.reduce((s, x, k) => s + x * b[k]!, 0)));

/** A standard normal draw (Box-Muller) from the seeded stream. */
const normal = (random: Random): number => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
const gaussianRows = (random: Random, rows: number, width: number): Matrix =>
  Array.from({ length: rows }, () => Array.from({ length: width }, () => normal(random)));
const plus = (a: readonly number[], b: readonly number[], scale: number): number[] => a.map((x, k) => x + scale * b[k]!);

/**
 * Seeded Jacobians with 2, 3 and 5 tasks: independent rows; a nearly parallel pair; a nearly opposite pair (their
 * cosine about -0.999, yet some direction still improves both); rows of very different scales; five rows mixing them.
 */
function randomJacobians(): [string, Matrix][] {
  const random = new Random(8).fork('aggregator-solutions');
  const width = 6;
  const out: [string, Matrix][] = [];
  for (const tasks of [2, 3, 5]) out.push([`${tasks} independent rows`, gaussianRows(random, tasks, width)]);
  const [a, b, c, d] = gaussianRows(random, 4, width) as [number[], number[], number[], number[]];
  out.push(['2 nearly parallel rows', [a, plus(a, b, 1e-3)]]);
  out.push(['2 nearly opposite rows', [a, plus(a.map((x) => -x), b, 0.05)]]);
  out.push(['3 rows, one nearly opposite, scales 1e-3 to 1e3', [a.map((x) => 1e-3 * x), plus(a.map((x) => -1e3 * x), b, 100), c]]);
  out.push(['5 rows: a nearly opposite pair and a nearly parallel one', [a, plus(a.map((x) => -x), b, 0.1), c, d, plus(c, d, 1e-3)]]);
  return out;
}

/** One shared parameter holding the Jacobian's columns, each row a task's gradient, as float32 tensors. */
function taskGradients(j: Matrix, tasks = j.map((_, k) => `t${k}`)): TaskGradients {
  const param = { name: 'p', variable: tf.variable(tf.zeros([j[0]!.length])), owner: { kind: 'module' as const, module: 'm' } };
  return { tasks, params: [param], gradients: j.map((row) => [tf.tensor1d(row)]) };
}

/** The gradient an aggregator applies to that parameter. */
function applied(aggregator: Aggregator, j: Matrix, tasks?: string[]): number[] {
  if (!aggregator.perTask) throw new Error('a per-task aggregator');
  return tf.tidy(() => {
    const gradients = taskGradients(j, tasks);
    const [update] = aggregator.aggregate(gradients);
    gradients.params[0]!.variable.dispose();
    return Array.from(update!.dataSync());
  });
}

/** The Gram matrix the aggregator sees (float32 products), for comparing it with the weights solved on it. */
function float32Gram(j: Matrix): Matrix {
  return tf.tidy(() => {
    const gradients = taskGradients(j);
    const gram = gramMatrix(gradients.gradients);
    gradients.params[0]!.variable.dispose();
    return gram;
  });
}

const combination = (weights: readonly number[], j: Matrix): number[] =>
  j[0]!.map((_, k) => weights.reduce((s, w, t) => s + w * j[t]![k]!, 0));

describe('nash_mtl: the weights solve the bargaining equations', () => {
  before(useCpu);

  /** α > 0, α_i (Gα)_i = 1, and α' = √‖G‖ α solves them on G' = G/‖G‖ (‖·‖ Frobenius, as the authors normalise). */
  function assertBargaining(gram: Matrix, alpha: number[]): void {
    assert.ok(alpha.every((a) => a > 0), `α = ${alpha.join(', ')}`);
    const norm = Math.sqrt(gram.flat().reduce((s, x) => s + x * x, 0));
    const normalised = gram.map((row) => row.map((x) => x / norm));
    const scaled = alpha.map((a) => Math.sqrt(norm) * a);
    assertAllClose(times(normalised, scaled).map((x, i) => x * scaled[i]!), alpha.map(() => 1), TOLERANCE, 'α\'_i (G\'α\')_i');
    assertAllClose(times(gram, alpha).map((x, i) => x * alpha[i]!), alpha.map(() => 1), TOLERANCE, 'α_i (Gα)_i');
  }

  for (const [name, j] of randomJacobians()) {
    it(`${name}: α_i (G'α')_i = 1 to 1e-6 with α > 0, and the aggregator applies Σ α_t g_t`, () => {
      const gram = gramOf(j);
      const alpha = nashMtlWeights(gram);
      assertBargaining(gram, alpha);
      // the aggregator solves on its float32 Gram matrix (near-opposite rows make α sensitive to it)
      const update = combination(nashMtlWeights(float32Gram(j)), j);
      const got = applied(nashMtl.create({ kind: 'nash_mtl', updateWeightsEvery: 1 }, 0), j);
      const size = Math.max(...update.map(Math.abs));
      assertAllClose(got.map((x) => x / size), update.map((x) => x / size), 1e-5, 'the update');
    });
  }

  it('orthogonal gradients: α_i = 1/‖g_i‖, and on the normalised G\' α\'_i = 1/‖g\'_i‖', () => {
    const gram = [[1, 0, 0], [0, 4, 0], [0, 0, 16]];
    const alpha = nashMtlWeights(gram);
    assertAllClose(alpha, [1, 1 / 2, 1 / 4], 1e-12);
    // ‖G‖ = √273, ‖g'_i‖ = ‖g_i‖/273^¼
    assertAllClose(alpha.map((a) => a * Math.sqrt(Math.sqrt(273))), [1, 2, 4].map((n) => 1 / (n / 273 ** 0.25)), 1e-12);
    assertBargaining(gram, alpha);
  });

  it('two equal gradients: α = 1/(‖g‖√2) each (α ‖g‖² 2α = 1), though G is singular', () => {
    const alpha = nashMtlWeights([[25, 25], [25, 25]]);
    assertAllClose(alpha, [1 / (5 * Math.SQRT2), 1 / (5 * Math.SQRT2)], 1e-12);
  });

  it('the α of the authors\' solver, run on these Jacobians (their NashMTL, cvxpy 1.9.3 with ECOS; 1e-6, their accuracy)', () => {
    // α·(Gα) came out 1 to 2e-7 there; on [[3, 0], [0, 0.5]] it gave 0.33333334 and 2.0 (float32)
    const cases: [Matrix, number[]][] = [
      [[[-4, 1, 1], [6, 1, 1]], [0.59146119, 0.4070715]],
      [[[2, 1], [1, 3]], [0.34228247, 0.24203025]],
      [[[1, 0, 0], [0, 2, 0], [0, 0, 4]], [1, 0.5, 0.25]],
    ];
    for (const [j, expected] of cases) assertAllClose(nashMtlWeights(gramOf(j)), expected, 1e-6, JSON.stringify(j));
  });

  it('update_weights_every: 2 reuses a set of tasks\' weights for the next step, then solves again; another set has its own', () => {
    const aggregator = nashMtl.create({ kind: 'nash_mtl', updateWeightsEvery: 2 }, 0);
    // α = (1, 1/2) from the first step's gradients; the fresh α for [2, 0], [0, 1] would be (1/2, 1)
    assertAllClose(applied(aggregator, [[1, 0], [0, 2]]), [1, 1], TOLERANCE, 'step 1, solved');
    assertAllClose(applied(aggregator, [[3, 0], [0, 3]], ['a', 'b']), [1, 1], TOLERANCE, 'other tasks, solved');
    assertAllClose(applied(aggregator, [[2, 0], [0, 1]]), [2, 0.5], TOLERANCE, 'step 2, step 1\'s α');
    assertAllClose(applied(aggregator, [[2, 0], [0, 1]]), [1, 1], TOLERANCE, 'step 3, solved again');
  });
});

describe('aligned_mtl: the aligned task gradients have condition number 1', () => {
  before(useCpu);

  /** The singular values of the rows of `m`, from the eigenvalues of m mᵀ. */
  const singularValues = (m: Matrix): number[] => symmetricEigen(gramOf(m)).values.map((l) => Math.sqrt(Math.max(0, l)));

  const handMade: [string, Matrix][] = [
    ['orthogonal rows [1, 0] and [0, 2]', [[1, 0], [0, 2]]],
    ['[2, 1] and [1, 2]', [[2, 1], [1, 2]]],
    ['conflicting [-4, 1, 1] and [6, 1, 1]', [[-4, 1, 1], [6, 1, 1]]],
    ['three rows [3, 0, 0], [1, 1, 0], [0, 1, 2]', [[3, 0, 0], [1, 1, 0], [0, 1, 2]]],
  ];
  const random = new Random(3).fork('aligned');
  const seeded: [string, Matrix][] = [2, 3, 2, 3].map((tasks, n) => [`seeded ${tasks} × 4 (${n + 1})`, gaussianRows(random, tasks, 4)]);

  for (const [name, j] of [...handMade, ...seeded]) {
    it(`${name}: every singular value of B J is √λ_min(G), and Σ of its rows is the update applied`, () => {
      const gram = gramOf(j);
      const aligned = alignmentMatrix(gram).map((row) => combination(row, j));
      const sigma = singularValues(aligned);
      const lambdaMin = Math.min(...symmetricEigen(gram).values);
      assert.ok(Math.max(...sigma) / Math.min(...sigma) - 1 <= TOLERANCE, `singular values ${sigma.join(', ')}`);
      assertAllClose(sigma, sigma.map(() => Math.sqrt(lambdaMin)), TOLERANCE, 'σ_i = σ_min of J');
      const rowSum = j[0]!.map((_, k) => aligned.reduce((s, row) => s + row[k]!, 0));
      const size = Math.max(...rowSum.map(Math.abs));
      assertAllClose(applied(alignedMtl.create({ kind: 'aligned_mtl' }, 0), j).map((x) => x / size), rowSum.map((x) => x / size), 1e-5, 'the update');
    });
  }

  it('three rows of rank 2 ([1, 0], [0, 2], [1, 1]): the two kept singular values are equal, the third is 0', () => {
    const j = [[1, 0], [0, 2], [1, 1]];
    const aligned = alignmentMatrix(gramOf(j)).map((row) => combination(row, j));
    const sigma = singularValues(aligned).sort((x, y) => x - y);
    assert.ok(sigma[0]! < 1e-9, `singular values ${sigma.join(', ')}`);
    assert.ok(Math.abs(sigma[2]! / sigma[1]! - 1) <= TOLERANCE, `singular values ${sigma.join(', ')}`);
  });
});

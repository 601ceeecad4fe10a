/**
 * Every runnable aggregator of the table, generically: its hand-worked examples (aggregators/<kind>.ts) through its
 * real path, one task's gradients coming back unchanged, and no tensor left behind. A new aggregator is checked here
 * as soon as it is in the table.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorEntry, AggregatorExample, AggregatorRuntime } from '../../../runtime/train/aggregators/aggregator.js';
import { aggregators, type Aggregator } from '../../../runtime/train/aggregators/index.js';
import { assertAllClose, useCpu } from '../helpers/tf.js';

const TOLERANCE = 1e-6;

/**
 * The gradient the aggregator applies to each shared parameter. A per-task aggregator gets the gradients through
 * `aggregate`; one that is not per task has the step differentiate the summed loss once, which is done here on the
 * losses L_k = Σ_i ⟨g_ki, θ_i⟩ whose gradients are exactly the example's.
 */
function aggregated(aggregator: Aggregator, gradients: AggregatorExample['gradients']): tf.Tensor[] {
  if (aggregator.perTask) {
    const tasks = gradients.map((_, k) => `t${k}`);
    const params = gradients[0]!.map((g, i) => ({ name: `p${i}`, variable: tf.variable(tf.zeros([g.length])), owner: { kind: 'module' as const, module: 'm' } }));
    const result = aggregator.aggregate({ tasks, params, gradients: gradients.map((row) => row.map((g) => tf.tensor1d([...g]))) });
    params.forEach((p) => p.variable.dispose());
    return result;
  }
  const thetas = gradients[0]!.map((g) => tf.variable(tf.zeros([g.length])));
  const { value, grads } = tf.variableGrads(() =>
    tf.addN(gradients.map((row) => tf.addN(row.map((g, i) => tf.sum(tf.mul(tf.tensor1d([...g]), thetas[i]!)))))) as tf.Scalar,
    thetas,
  );
  value.dispose();
  const result = thetas.map((t) => grads[t.name]!);
  thetas.forEach((t) => t.dispose());
  return result;
}

function valuesOf(aggregator: Aggregator, gradients: AggregatorExample['gradients']): number[][] {
  return tf.tidy(() => aggregated(aggregator, gradients).map((g) => Array.from(g.dataSync())));
}

const table: Readonly<Record<string, AggregatorEntry<AggregationPlan>>> = aggregators;
const runnable = Object.entries(table).filter((e): e is [string, AggregatorRuntime] => e[1].runnable);

describe('every runnable aggregator', () => {
  before(useCpu);

  it('the table has runnable aggregators to check', () => assert.ok(runnable.length > 0));

  for (const [kind, entry] of runnable) {
    describe(kind, () => {
      entry.examples.forEach((example, n) => {
        it(`example ${n + 1}: ${JSON.stringify(example.gradients)} → ${JSON.stringify(example.aggregated)}`, () => {
          const got = valuesOf(entry.create(example.plan, example.seed ?? 0), example.gradients);
          assert.equal(got.length, example.aggregated.length, 'one gradient per shared parameter');
          got.forEach((g, i) => assertAllClose(g, example.aggregated[i]!, TOLERANCE, `parameter ${i}`));
        });

        it(`example ${n + 1}: an aggregator restored from its saved state goes on exactly as the one that saved it`, () => {
          const original = entry.create(example.plan, example.seed ?? 0);
          // steps that move its state (PCGrad's orders, Nash-MTL's kept weights), the tasks' gradients reversed between
          valuesOf(original, example.gradients);
          valuesOf(original, [...example.gradients].reverse());
          const restored = entry.create(example.plan, example.seed ?? 0);
          restored.state.restore(structuredClone(original.state.save()));
          for (const gradients of [example.gradients, [...example.gradients].reverse(), example.gradients]) {
            assert.deepEqual(valuesOf(restored, gradients), valuesOf(original, gradients));
          }
        });

        const oneTask = example.gradients.slice(0, 1);
        if (entry.changesOneTask === undefined) {
          it(`example ${n + 1}: one task’s gradients alone come back unchanged`, () => {
            const got = valuesOf(entry.create(example.plan, example.seed ?? 0), oneTask);
            got.forEach((g, i) => assertAllClose(g, oneTask[0]![i]!, TOLERANCE, `parameter ${i}`));
          });
        } else {
          it(`example ${n + 1}: one task’s gradients alone may change (${entry.changesOneTask})`, { skip: entry.changesOneTask }, () => {});
        }

        it(`example ${n + 1}: leaves no tensor behind`, () => {
          const aggregator = entry.create(example.plan, example.seed ?? 0);
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            aggregated(aggregator, example.gradients);
          });
          assert.equal(tf.memory().numTensors, before);
        });
      });
    });
  }
});

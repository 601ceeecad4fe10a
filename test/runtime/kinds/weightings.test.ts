/**
 * Every runnable weighting of the table, generically: its hand-worked examples (weightings/<kind>.ts) through
 * `create` → `endEpoch` → `weightedTotal`, `current` and `learned`, a non-negative total for non-negative losses as created, and
 * no tensor left behind. A new weighting is checked here as soon as it is in the table.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, WeightingPlan } from '../../../job/job.js';
import { weightedTotal, weightings, type LossWeighting } from '../../../runtime/train/weightings/index.js';
import type { WeightingEntry, WeightingExample, WeightingRuntime } from '../../../runtime/train/weightings/weighting.js';
import { makeJob, task, vectorInput } from '../helpers/jobs.js';
import { assertAllClose, useCpu } from '../helpers/tf.js';

const TOLERANCE = 1e-6;

/** A job with the example's tasks and static weights: what a weighting reads of it. */
function jobOf(example: WeightingExample): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    tasks: Object.entries(example.weights).map(([name, weight]) => task(name, example.heads?.[name] ?? 'regression', { from: null, weight })),
    training: { weighting: example.plan },
  });
}

/** The weighting of the example after its epochs, with its parameters set when `withParams`. */
function weightingOf(entry: WeightingRuntime, example: WeightingExample, withParams: boolean): LossWeighting {
  const weighting = entry.create(example.plan, jobOf(example));
  if (withParams) {
    for (const [name, value] of Object.entries(example.params ?? {})) {
      const param = weighting.params.find((p) => p.name === name);
      if (!param) throw new Error(`the weighting has no parameter '${name}' (it has ${weighting.params.map((p) => p.name).join(', ') || 'none'})`);
      tf.tidy(() => param.variable.assign(tf.scalar(value)));
    }
  }
  for (const epoch of example.history ?? []) weighting.endEpoch(epoch);
  for (const losses of example.steps ?? []) {
    weighting.beginStep?.(Object.keys(losses));
    tf.tidy(() => void weightedTotal(weighting, new Map(Object.entries(losses).map(([t, l]) => [t, tf.scalar(l)]))));
    weighting.endStep?.(losses);
  }
  weighting.beginStep?.(Object.keys(example.losses));
  return weighting;
}

function totalOf(weighting: LossWeighting, losses: Readonly<Record<string, number>>): number {
  return tf.tidy(() => weightedTotal(weighting, new Map(Object.entries(losses).map(([t, l]) => [t, tf.scalar(l)]))).dataSync()[0]!);
}

const table: Readonly<Record<string, WeightingEntry<WeightingPlan>>> = weightings;
const runnable = Object.entries(table).filter((e): e is [string, WeightingRuntime] => e[1].runnable);

describe('every runnable weighting', () => {
  before(useCpu);

  it('the table has runnable weightings to check', () => assert.ok(runnable.length > 0));

  for (const [kind, entry] of runnable) {
    describe(kind, () => {
      entry.examples.forEach((example, n) => {
        it(`example ${n + 1}: losses ${JSON.stringify(example.losses)} → total ${example.total}`, () => {
          const weighting = weightingOf(entry, example, true);
          assertAllClose([totalOf(weighting, example.losses)], [example.total], TOLERANCE, 'total');
          const current = weighting.current();
          assert.deepEqual(Object.keys(current).sort(), Object.keys(example.current).sort(), 'a weight per task');
          if (example.balance) return weighting.dispose(); // its weights come from the balanced steps, checked apart
          for (const [t, w] of Object.entries(example.current)) assertAllClose([current[t]!], [w], TOLERANCE, `weight of ${t}`);
          for (const [name, values] of Object.entries(example.learned ?? {})) {
            const learned = weighting.learned?.()[name];
            assert.deepEqual(Object.keys(learned ?? {}).sort(), Object.keys(values).sort(), `learned ${name} per task`);
            for (const [t, v] of Object.entries(values)) assertAllClose([learned![t]!], [v], TOLERANCE, `${name} of ${t}`);
          }
          weighting.dispose();
        });

        if (example.balance) {
          it(`example ${n + 1}: balances the task gradients over ${example.balance.steps.length} step(s) as worked`, () => {
            const weighting = weightingOf(entry, example, true);
            const tasks = Object.keys(example.weights);
            const first = example.balance!.steps[0]!;
            const params = first[0]!.map((g, i) => ({ name: `p${i}`, variable: tf.variable(tf.zeros([g.length])), owner: { kind: 'module' as const, module: 'm' } }));
            const before = tf.memory().numTensors;
            let balanced: number[][][] = [];
            for (const [n, step] of example.balance!.steps.entries()) {
              balanced = tf.tidy(() => weighting.balance!({ tasks, params, gradients: step.map((row) => row.map((g) => tf.tensor1d([...g]))) }).map((row) => row.map((g) => [...g.dataSync()])));
              const losses = example.balance!.losses?.[n];
              if (losses) weighting.endStep?.(losses);
            }
            for (const [k, row] of example.balance!.balanced.entries()) {
              for (const [i, g] of row.entries()) assertAllClose(balanced[k]![i]!, [...g], TOLERANCE, `task ${tasks[k]} parameter ${i}`);
            }
            const current = weighting.current();
            for (const [t, w] of Object.entries(example.current)) assertAllClose([current[t]!], [w], TOLERANCE, `weight of ${t}`);
            weighting.dispose();
            params.forEach((p) => p.variable.dispose());
            assert.ok(tf.memory().numTensors <= before, 'the balance kept tensors after dispose');
          });
        }

        it(`example ${n + 1}: a weighting restored from its saved state goes on exactly as the one that saved it`, () => {
          const original = weightingOf(entry, example, true);
          const tasks = Object.keys(example.weights);
          const params = example.balance?.steps[0]![0]!.map((g, i) => ({ name: `p${i}`, variable: tf.variable(tf.zeros([g.length])), owner: { kind: 'module' as const, module: 'm' } }));
          const balanceStep = (w: LossWeighting, step: readonly (readonly (readonly number[])[])[]) =>
            tf.tidy(() => w.balance!({ tasks, params: params!, gradients: step.map((row) => row.map((g) => tf.tensor1d([...g]))) }).map((row) => row.map((g) => [...g.dataSync()])));
          // whole steps, as training takes them: a checkpoint is written between steps
          for (const [k, step] of (example.balance?.steps ?? []).entries()) {
            balanceStep(original, step);
            original.endStep?.(example.balance!.losses?.[k] ?? example.losses);
          }
          // its parameters are saved with the model's; the rest is its state (through a copy, as a checkpoint makes one)
          const restored = entry.create(example.plan, jobOf(example));
          original.params.forEach((p, i) => tf.tidy(() => restored.params[i]!.variable.assign(p.variable)));
          restored.state.restore(structuredClone(original.state.save()));
          const next = Object.fromEntries(tasks.map((t, i) => [t, 0.5 + i / 3]));
          // two more steps and an epoch's end on both
          for (let k = 0; k < 2; k++) {
            for (const w of [original, restored]) {
              w.beginStep?.(tasks);
              if (example.balance) balanceStep(w, example.balance.steps[0]!);
              w.endStep?.(k === 0 ? example.losses : next);
            }
          }
          for (const w of [original, restored]) w.endEpoch(next);
          assert.equal(totalOf(restored, next), totalOf(original, next), 'the next total');
          if (example.balance) assert.deepEqual(balanceStep(restored, example.balance.steps[0]!), balanceStep(original, example.balance.steps[0]!));
          assert.deepEqual(restored.current(), original.current());
          original.dispose();
          restored.dispose();
          params?.forEach((p) => p.variable.dispose());
        });

        it(`example ${n + 1}: as created, non-negative losses give a non-negative total`, { skip: entry.negativeTotal }, () => {
          const weighting = weightingOf(entry, example, false);
          const tasks = Object.keys(example.weights);
          for (const losses of [example.losses, Object.fromEntries(tasks.map((t) => [t, 0])), Object.fromEntries(tasks.map((t, i) => [t, 10 ** i / 7]))]) {
            const total = totalOf(weighting, losses);
            assert.ok(total >= 0, `total ${total} for losses ${JSON.stringify(losses)}`);
          }
          weighting.dispose();
        });

        it(`example ${n + 1}: leaves no tensor behind`, () => {
          const weighting = weightingOf(entry, example, true);
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            weightedTotal(weighting, new Map(Object.entries(example.losses).map(([t, l]) => [t, tf.scalar(l)])));
          });
          weighting.current();
          assert.equal(tf.memory().numTensors, before);
          weighting.dispose();
        });
      });
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SamplingPlan } from '../../job/job.js';
import { capped, groupProbabilities, groupSampler, taskProbabilities } from '../../runtime/train/sampling.js';
import { uniformStream } from './helpers/fakeData.js';

const rows = { a: 100, b: 300, c: 600 };

function assertClose(actual: Record<string, number>, expected: Record<string, number>, tolerance = 1e-9): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(actual[k]! - v) <= tolerance, `${k}: ${actual[k]} vs ${v}`);
}

/** Draws `n` groups and checks each count lies within 4 binomial standard deviations of n·p. */
function assertDrawsMatch(draw: (step: number) => number, probs: number[], n: number, firstStep = 0): void {
  const counts = new Array<number>(probs.length).fill(0);
  for (let i = 0; i < n; i++) counts[draw(firstStep + i)]! += 1;
  probs.forEach((p, g) => {
    const std = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(counts[g]! - n * p) <= 4 * std + 1e-9, `group ${g}: ${counts[g]} draws, expected ${n * p} ± ${4 * std}`);
  });
}

describe('task probabilities', () => {
  it('uniform gives every task 1/K', () => {
    assertClose(taskProbabilities({ kind: 'uniform' }, rows, 0), { a: 1 / 3, b: 1 / 3, c: 1 / 3 });
  });

  it('proportional follows training rows', () => {
    assertClose(taskProbabilities({ kind: 'proportional' }, rows, 0), { a: 0.1, b: 0.3, c: 0.6 });
  });

  it('temperature 2 follows the square roots of the row counts', () => {
    const roots = [10, Math.sqrt(300), Math.sqrt(600)];
    const total = roots.reduce((x, y) => x + y);
    assertClose(taskProbabilities({ kind: 'temperature', t: 2, cap: null }, rows, 0), {
      a: roots[0]! / total,
      b: roots[1]! / total,
      c: roots[2]! / total,
    });
  });

  it('temperature with a cap moves the excess to the others in proportion', () => {
    const probs = taskProbabilities({ kind: 'temperature', t: 1, cap: 0.5 }, rows, 0);
    // c is capped at 0.5; a and b share the other 0.5 as 1 : 3.
    assertClose(probs, { a: 0.125, b: 0.375, c: 0.5 });
  });

  it('capping repeats until no task is above the cap', () => {
    const probs = capped({ a: 0.7, b: 0.2, c: 0.08, d: 0.02 }, 0.3);
    // a caps first; b, then c, rise above the cap as the excess spreads; d takes the rest.
    assertClose(probs, { a: 0.3, b: 0.3, c: 0.3, d: 0.1 });
    for (const p of Object.values(probs)) assert.ok(p <= 0.3 + 1e-9);
    assert.ok(Math.abs(Object.values(probs).reduce((x, y) => x + y) - 1) < 1e-9);
  });

  it('explicit probabilities are renormalized over the tasks that train', () => {
    assertClose(taskProbabilities({ kind: 'explicit', probs: { a: 0.2, b: 0.2, c: 0.4, gone: 0.2 } }, rows, 0), { a: 0.25, b: 0.25, c: 0.5 });
  });

  it('scheduled follows the phase of the step', () => {
    const plan: SamplingPlan = {
      kind: 'scheduled',
      phases: [
        { until: 100, sampling: { kind: 'explicit', probs: { a: 1 } } },
        { until: null, sampling: { kind: 'uniform' } },
      ],
    };
    assertClose(taskProbabilities(plan, rows, 99), { a: 1, b: 0, c: 0 });
    assertClose(taskProbabilities(plan, rows, 100), { a: 1 / 3, b: 1 / 3, c: 1 / 3 });
  });

  it('a group gets the sum of its tasks', () => {
    assert.deepEqual(groupProbabilities([{ tasks: ['a', 'b'] }, { tasks: ['c'] }], { a: 0.1, b: 0.3, c: 0.6 }), [0.4, 0.6]);
  });
});

describe('group sampler draws in the promised proportions (seeded)', () => {
  const groups = [{ tasks: ['a'] }, { tasks: ['b'] }, { tasks: ['c'] }];
  const n = 20_000;
  const strategies: [string, SamplingPlan, number[]][] = [
    ['uniform', { kind: 'uniform' }, [1 / 3, 1 / 3, 1 / 3]],
    ['proportional', { kind: 'proportional' }, [0.1, 0.3, 0.6]],
    ['temperature', { kind: 'temperature', t: 1, cap: 0.5 }, [0.125, 0.375, 0.5]],
    ['explicit', { kind: 'explicit', probs: { a: 0.7, b: 0.2, c: 0.1 } }, [0.7, 0.2, 0.1]],
  ];
  for (const [name, plan, probs] of strategies) {
    it(name, () => assertDrawsMatch(groupSampler(groups, plan, rows, uniformStream(11)), probs, n));
  }

  it('groups of several tasks', () => {
    const shared = [{ tasks: ['a', 'b'] }, { tasks: ['c'] }];
    assertDrawsMatch(groupSampler(shared, { kind: 'proportional' }, rows, uniformStream(12)), [0.4, 0.6], n);
  });

  it('scheduled: each phase in its own proportions', () => {
    const plan: SamplingPlan = {
      kind: 'scheduled',
      phases: [
        { until: n, sampling: { kind: 'explicit', probs: { a: 0.5, b: 0.5 } } },
        { until: null, sampling: { kind: 'proportional' } },
      ],
    };
    const draw = groupSampler(groups, plan, rows, uniformStream(13));
    assertDrawsMatch(draw, [0.5, 0.5, 0], n, 0);
    assertDrawsMatch(draw, [0.1, 0.3, 0.6], n, n);
  });

  it('the same seed draws the same sequence', () => {
    const draws = (seed: number) => {
      const draw = groupSampler(groups, { kind: 'uniform' }, rows, uniformStream(seed));
      return Array.from({ length: 50 }, (_, i) => draw(i));
    };
    assert.deepEqual(draws(5), draws(5));
    assert.notDeepEqual(draws(5), draws(6));
  });
});

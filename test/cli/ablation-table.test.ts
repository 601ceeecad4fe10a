/** The ablation table, Δp and the acceptance policy on numbers worked by hand, in both metric directions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ablationTable, acceptanceOf, deltaP, relativeImprovement, renderAcceptance, renderTable, type RunResult, type TaskMetric } from '../../cli/ablation-table.js';

const tasks: TaskMetric[] = [{ task: 'income', metric: 'auc' }, { task: 'price', metric: 'mse' }];
const close = (actual: number | null, expected: number) => assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`);

const run = (name: string, row: string, test: Record<string, number>, valid: Record<string, number>, seconds: number, parameters: number): RunResult =>
  ({ name, row, seconds, parameters, scores: { test, valid } });
const runs: RunResult[] = [
  run('single-income', 'single', { income: 0.8 }, { income: 0.81 }, 10, 100),
  run('single-price', 'single', { price: 0.5 }, { price: 0.4 }, 5, 50),
  run('shared', 'shared', { income: 0.84, price: 0.55 }, { income: 0.8019, price: 0.38 }, 9, 90),
];

describe('ablation table', () => {
  it('Δ per task is the relative change signed by the metric\'s direction', () => {
    close(relativeImprovement('auc', 0.84, 0.8), 5); // (0.84 − 0.8)/0.8 = +5%
    close(relativeImprovement('mse', 0.55, 0.5), -10); // lower is better: −(0.55 − 0.5)/0.5 = −10%
    close(relativeImprovement('logloss', 0.3, 0.4), 25); // −(0.3 − 0.4)/0.4 = +25%
  });

  it('Δp is their mean, and null when a task lacks a value or a baseline', () => {
    close(deltaP(tasks, { income: 0.84, price: 0.55 }, { income: 0.8, price: 0.5 }), -2.5); // (5 − 10)/2
    assert.equal(deltaP(tasks, { income: 0.84 }, { income: 0.8, price: 0.5 }), null);
  });

  it('has a row per variant: the single-task runs merged, their seconds and parameters summed', () => {
    const table = ablationTable(tasks, runs);
    assert.deepEqual(table.columns, ['variant', 'income auc', 'price mse', 'Δ income %', 'Δ price %', 'Δp %', 'seconds', 'parameters']);
    assert.deepEqual(table.rows[0], ['single', 0.8, 0.5, 0, 0, 0, 15, 150]);
    const [name, income, price, dIncome, dPrice, dp, seconds, parameters] = table.rows[1]!;
    assert.deepEqual([name, income, price, seconds, parameters], ['shared', 0.84, 0.55, 9, 90]);
    close(dIncome as number, 5);
    close(dPrice as number, -10);
    close(dp as number, -2.5);
    assert.equal(renderTable(table, tasks), [
      'variant  income auc  price mse  Δ income  Δ price      Δp  seconds  parameters',
      'single       0.8000     0.5000    +0.00%   +0.00%  +0.00%     15.0         150',
      'shared       0.8400     0.5500    +5.00%  -10.00%  -2.50%      9.0          90',
      '',
    ].join('\n'));
    assert.deepEqual(ablationTable(tasks, runs.slice(2)).rows[0]!.slice(3, 6), [null, null, null]);
  });

  it('accepts a task whose relative drop is within max_drop, on the policy\'s split', () => {
    const onTest = acceptanceOf({ kind: 'no_regression', maxDrop: 0.06, split: 'test' }, tasks, runs)!;
    assert.deepEqual(onTest.map((a) => [a.task, a.variant, a.baseline, a.value, a.pass]), [['income', 'shared', 0.8, 0.84, true], ['price', 'shared', 0.5, 0.55, false]]);
    close(onTest[0]!.drop, -0.05);
    close(onTest[1]!.drop, 0.1);
    // valid: income 0.8019 against 0.81 drops 1% (0.0081/0.81), price 0.38 against 0.4 gains 5%.
    const onValid = acceptanceOf({ kind: 'no_regression', maxDrop: 0.01, split: 'valid' }, tasks, runs)!;
    close(onValid[0]!.drop, 0.01);
    assert.deepEqual(onValid.map((a) => a.pass), [true, true]);
    assert.equal(acceptanceOf({ kind: 'no_regression', maxDrop: 0.01, split: 'test' }, tasks, runs.slice(0, 2)), null);
    assert.equal(renderAcceptance({ kind: 'no_regression', maxDrop: 0.06, split: 'test' }, onTest, tasks), [
      'acceptance: no_regression(max_drop: 0.06, split: test), the program as written against each task alone:',
      '  pass  income               auc 0.8400 vs 0.8000 alone: gains 5.00% (at most 6.00%)',
      '  FAIL  price                mse 0.5500 vs 0.5000 alone: drops 10.00% (at most 6.00%)',
      '',
    ].join('\n'));
  });
});

/**
 * Model selection on a hand-made history: the weighted score's value and the epoch it picks (directions respected,
 * ties to the earlier epoch), the Pareto set worked out by hand (ties included), and a resumed selection that ends
 * where an uninterrupted one does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SelectionObjective, SelectionPlan } from '../../job/job.js';
import type { SplitScores } from '../../runtime/train/evaluate.js';
import { BestWeights, paretoEpochs, relativeChange, selectionScore } from '../../runtime/train/selection.js';

// Task a reports an AUC (higher is better), task b a mean squared error (lower is better).
const objectives: SelectionObjective[] = [{ task: 'a', metric: 'auc', mode: 'max' }, { task: 'b', metric: 'mse', mode: 'min' }];
const weighted = (weights: Record<string, number>): SelectionPlan => ({ kind: 'weighted', weights, objectives, patience: null });
const scores = (auc: number | null, mse: number): SplitScores => ({ a: { loss: 0.5, auc }, b: { loss: mse, mse, mae: 1 } });

/** Epoch → (a's AUC, b's MSE). */
const history: [number, number | null, number][] = [
  [1, 0.8, 2.0], // the baseline: every later score is relative to it
  [2, 0.84, 1.8], // a +5%, b 10% lower
  [3, 0.88, 2.2], // a +10%, b 10% higher
  [4, 0.82, 1.5], // a +2.5%, b 25% lower
  [5, 0.88, 2.2], // the same as epoch 3
  [6, 0.8, 2.0], // the same as epoch 1
  [7, null, 1.0], // a's AUC undefined (one class in the split): no score, not in the Pareto set
  [8, 0.88, 2.3], // as good as epochs 3 and 5 on a, worse on b: dominated
];

function select(plan: SelectionPlan, from = 0, to = history.length, weights = new BestWeights(plan, [])): BestWeights {
  for (const [epoch, auc, mse] of history.slice(from, to)) weights.offer(epoch, scores(auc, mse));
  return weights;
}

describe('model selection', () => {
  it('scores each evaluation by the weighted mean of its signed relative changes since the baseline', () => {
    const plan = weighted({ a: 2, b: 1 });
    const baseline = { a: 0.8, b: 2.0 };
    const close = (actual: number | null, expected: number) => assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${actual} vs ${expected}`);
    close(selectionScore(plan, scores(0.8, 2.0), baseline), 0);
    close(selectionScore(plan, scores(0.84, 1.8), baseline), (2 * 0.05 + 0.1) / 3); // 0.0667: b's lower error counts as a gain
    close(selectionScore(plan, scores(0.88, 2.2), baseline), (2 * 0.1 - 0.1) / 3); // 0.0333
    close(selectionScore(plan, scores(0.82, 1.5), baseline), (2 * 0.025 + 0.25) / 3); // 0.1
    assert.equal(selectionScore(plan, scores(null, 1.0), baseline), null);
    assert.equal(selectionScore(plan, scores(0.9, 1.0), null), null, 'no score before the baseline');
  });

  it('takes a relative change signed by direction, unscaled where the baseline is 0', () => {
    assert.equal(relativeChange(0.9, 0.75, 'max'), (0.9 - 0.75) / 0.75);
    assert.equal(relativeChange(0.5, 2, 'min'), 0.75);
    assert.equal(relativeChange(-3, -2, 'max'), -0.5);
    assert.equal(relativeChange(0.25, 0, 'min'), -0.25);
  });

  it('picks the epoch with the highest weighted score, the earlier one of a tie', () => {
    // Weights 2:1: epoch 4 (0.1) beats epoch 2 (0.067) and epoch 3 (0.033).
    const balanced = select(weighted({ a: 2, b: 1 }));
    assert.equal(balanced.best.epoch, 4);
    assert.ok(Math.abs(balanced.best.score! - 0.1) < 1e-12);
    assert.deepEqual(balanced.best.scores, scores(0.82, 1.5));
    // Weights 10:1: epochs 3 and 5 tie at (10·0.1 − 0.1)/11 = 0.0818, above epoch 2 (0.0545) and 4 (0.0455): 3 wins.
    const onA = select(weighted({ a: 10, b: 1 }));
    assert.equal(onA.best.epoch, 3);
    assert.ok(Math.abs(onA.best.score! - 0.9 / 11) < 1e-12);
    // Weights 1:10 favour b's error going down: epoch 4 (25% lower) again, not epoch 3 (higher error).
    assert.equal(select(weighted({ a: 1, b: 10 })).best.epoch, 4);
  });

  it('selects on one metric by its mode, as before', () => {
    const onMse: SelectionPlan = { kind: 'best', metric: 'mse', task: 'b', mode: 'min', objectives, patience: null };
    assert.equal(select(onMse).best.epoch, 7); // b's lowest error, 1.0, whatever a's AUC
    const onAuc: SelectionPlan = { kind: 'best', metric: 'auc', task: 'mean', mode: 'max', objectives, patience: null };
    assert.equal(select(onAuc).best.epoch, 3); // 0.88 first at epoch 3 (later equal values do not replace it)
  });

  it('lists the evaluated epochs no other is as good as on every objective and better on one, ties included', () => {
    // 1 and 6 (0.8, 2.0) are dominated by 2 (0.84, 1.8); 8 (0.88, 2.3) by 3 and 5 (0.88, 2.2); 3 and 5 are equal,
    // so neither dominates the other; 7 has no AUC.
    const plan = weighted({ a: 2, b: 1 });
    const pareto = select(plan).pareto();
    assert.deepEqual(pareto.map((p) => p.epoch), [2, 3, 4, 5]);
    assert.deepEqual(pareto.map((p) => p.values), [{ a: 0.84, b: 1.8 }, { a: 0.88, b: 2.2 }, { a: 0.82, b: 1.5 }, { a: 0.88, b: 2.2 }]);
    assert.ok(Math.abs(pareto[2]!.score! - 0.1) < 1e-12);
    // The set does not depend on the score: `best` has the same objectives, so the same set.
    const onMse: SelectionPlan = { kind: 'best', metric: 'mse', task: 'b', mode: 'min', objectives, patience: null };
    assert.deepEqual(select(onMse).pareto().map((p) => p.epoch), [2, 3, 4, 5]);
  });

  it('keeps the directions: with b read as higher-is-better the set changes', () => {
    const bothUp: SelectionObjective[] = [{ task: 'a', metric: 'auc', mode: 'max' }, { task: 'b', metric: 'mse', mode: 'max' }];
    const evaluations = history.map(([epoch, auc, mse]) => ({ epoch, score: null, values: auc === null ? null : { a: auc, b: mse } }));
    // Now (0.88, 2.3) at epoch 8 dominates every other epoch.
    assert.deepEqual(paretoEpochs(evaluations, bothUp).map((p) => p.epoch), [8]);
    assert.deepEqual(paretoEpochs([], objectives), []);
  });

  it('stops after `patience` evaluations without improvement', () => {
    const plan: SelectionPlan = { ...weighted({ a: 2, b: 1 }), patience: 2 } as SelectionPlan;
    const weights = new BestWeights(plan, []);
    const exhausted = history.map(([epoch, auc, mse]) => (weights.offer(epoch, scores(auc, mse)), weights.exhausted()));
    // Improvements at 2 and 4 (1 sets the baseline, a score of 0); 5 and 6 do not improve: exhausted from epoch 6.
    assert.deepEqual(exhausted, [false, false, false, false, false, true, true, true]);
  });

  it('resumed from its state, ends as an uninterrupted selection does', () => {
    const plan = weighted({ a: 2, b: 1 });
    const whole = select(plan);
    const first = select(plan, 0, 3);
    const state = JSON.parse(JSON.stringify(first.state.save()));
    const resumed = new BestWeights(plan, []);
    resumed.state.restore(state);
    select(plan, 3, history.length, resumed);
    assert.deepEqual(resumed.best, whole.best);
    assert.deepEqual(resumed.pareto(), whole.pareto());
    assert.deepEqual(resumed.state.save(), whole.state.save());
  });
});

/**
 * `mtl run` with a weighted selection, end to end on the tiny fixture table (cpu backend): summary.json lists the
 * Pareto epochs and the weighted score, both recomputed here from metrics.jsonl, and `mtl run` prints the epochs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { mtl, tinyTwoTaskProgram } from './cli.js';

const program = tinyTwoTaskProgram(`epochs: 8, batch_size: 2, optimizer: sgd(lr: 0.05, clip_norm: 1)
  select: weighted(metrics: { flagged: logloss, hours_left: mae }, weights: { flagged: 3 })`);

describe('mtl run: a weighted selection and the Pareto epochs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-selection-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists the Pareto epochs in summary.json and prints them, as recomputed from metrics.jsonl', () => {
    const file = path.join(dir, 'select.mtl');
    fs.writeFileSync(file, program);
    const out = path.join(dir, 'run');
    const result = mtl(['run', file, '--out', out, '--backend', 'cpu', '--no-progress']);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.selection.objectives, [{ task: 'flagged', metric: 'logloss', mode: 'min' }, { task: 'hours_left', metric: 'mae', mode: 'min' }]);
    assert.deepEqual(summary.selection.weights, { flagged: 3, hours_left: 1 });

    // Per epoch, the two objectives (both lower-is-better), from the validation rows.
    const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.split === 'valid');
    const epochs = [...new Set(rows.map((r) => r.epoch as number))];
    assert.equal(epochs.length, 8);
    const value = (epoch: number, task: string, metric: string): number => rows.find((r) => r.epoch === epoch && r.task === task)[metric];
    const points = epochs.map((epoch) => ({ epoch, flagged: value(epoch, 'flagged', 'logloss'), hours_left: value(epoch, 'hours_left', 'mae') }));
    const beats = (p: typeof points[number], q: typeof points[number]) =>
      p.flagged <= q.flagged && p.hours_left <= q.hours_left && (p.flagged < q.flagged || p.hours_left < q.hours_left);
    const pareto = points.filter((q) => !points.some((p) => beats(p, q)));
    assert.deepEqual(summary.paretoEpochs.map((p: { epoch: number; values: object }) => ({ epoch: p.epoch, ...p.values })), pareto);
    assert.ok(pareto.length >= 2, 'the run trades one task off against the other');

    // The weighted score: (3·r_flagged + r_hours_left)/4, r = −(m − m₁)/|m₁| against epoch 1; the highest is selected.
    const first = points[0]!;
    const score = (p: typeof points[number]) => (3 * -(p.flagged - first.flagged) / first.flagged + -(p.hours_left - first.hours_left) / first.hours_left) / 4;
    const best = points.reduce((a, b) => (score(b) > score(a) ? b : a));
    assert.equal(summary.bestEpoch, best.epoch);
    assert.ok(Math.abs(summary.selection.score - score(best)) < 1e-9, `${summary.selection.score} vs ${score(best)}`);
    assert.ok(pareto.some((p) => p.epoch === best.epoch), 'a weighted score with positive weights selects a Pareto epoch');
    for (const p of summary.paretoEpochs) assert.ok(Math.abs(p.score - score(points.find((q) => q.epoch === p.epoch)!)) < 1e-9);

    const lines = ['pareto epochs (no other epoch as good on every task and better on one; valid flagged logloss ↓, hours_left mae ↓):'];
    for (const p of pareto) {
      lines.push(`  epoch ${String(p.epoch).padEnd(4)} flagged ${p.flagged.toFixed(4)}  hours_left ${p.hours_left.toFixed(4)}${p.epoch === best.epoch ? '  (selected)' : ''}`);
    }
    assert.ok(result.stdout.includes(`${lines.join('\n')}\n`), result.stdout);
  });
});

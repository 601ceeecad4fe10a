/**
 * `mtl run --ablate` and the acceptance policy through the CLI, on a tiny synthetic table on the cpu backend: two
 * regression tasks (x1 and x2 from both) squeezed through a shared linear layer of width 1, which cannot carry both,
 * so sharing must lose to each task alone; `mtl compile --ablate` writes the derived jobs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { mtl, looksLikeUserError } from './cli.js';

const program = (maxDrop: number) => `dataset pairs {
  files: "pairs.arrow"
  columns: { x1: float, x2: float }
  split: ratio(train: 0.5, valid: 0.25, test: 0.25, seed: 3)
}
features both { dataset: pairs, transforms: [raw(x1, x2)] }
task first { features: both, target: x1, head: regression }
task second { features: both, target: x2, head: regression }
share neck = hard(backbone: mlp(units: [1], activation: linear), tasks: [first, second])
train { optimizer: adam(lr: 0.05), batch_size: 20, epochs: 4, seed: 1, accept: no_regression(max_drop: ${maxDrop}, split: test) }
`;

describe('mtl run --ablate, acceptance', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-ablate-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  before(() => {
    let s = 1;
    const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const x1 = Float64Array.from({ length: 200 }, next);
    const x2 = Float64Array.from({ length: 200 }, next);
    fs.writeFileSync(path.join(dir, 'pairs.arrow'), tableToIPC(tableFromArrays({ x1, x2 }), 'file'));
    fs.writeFileSync(path.join(dir, 'strict.mtl'), program(0.01));
    fs.writeFileSync(path.join(dir, 'lenient.mtl'), program(1e9));
  });
  const run = (file: string, args: string[]) => mtl(['run', path.join(dir, file), '--backend', 'cpu', '--no-progress', ...args]);

  it('prints one table and the policy\'s verdict, writes experiment.json, and a failed policy fails --require-acceptance', () => {
    const out = path.join(dir, 'strict');
    const result = run('strict.mtl', ['--ablate', 'private', '--require-acceptance', '--out', out]);
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /^error: acceptance failed for `first`/m);
    const experiment = JSON.parse(fs.readFileSync(path.join(out, 'experiment.json'), 'utf8'));
    assert.deepEqual(Object.keys(experiment), ['kind', 'program', 'variants', 'table', 'acceptance']);
    assert.deepEqual(experiment.variants.map((v: { name: string; dir: string; parameters: number }) => [v.name, v.dir, v.parameters]), [
      // a private trunk 2→1 (3) and a head 1→1 (2) per task; shared: one trunk and two heads
      ['single-first', 'single-first', 5], ['single-second', 'single-second', 5], ['shared', 'shared', 7], ['private', 'private', 10],
    ]);
    for (const v of experiment.variants) assert.ok(fs.existsSync(path.join(out, v.dir, 'weights.json')), v.dir);
    assert.deepEqual(experiment.table.columns, ['variant', 'first mse', 'second mse', 'Δ first %', 'Δ second %', 'Δp %', 'seconds', 'parameters']);
    const rows = Object.fromEntries(experiment.table.rows.map((r: unknown[]) => [r[0], r]));
    assert.deepEqual(Object.keys(rows), ['single', 'shared', 'private']);
    // Nothing shared and the same seed: each task of `private` trains exactly as it does alone (cpu backend), epoch by
    // epoch (the epoch each selects may differ: `private` selects on the mean over its tasks).
    const validMse = (run: string, task: string) => fs.readFileSync(path.join(out, run, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((line) => JSON.parse(line)).filter((r) => r.split === 'valid' && r.task === task).map((r) => r.mse);
    for (const task of ['first', 'second']) {
      assert.equal(validMse('private', task).length, 4);
      assert.deepEqual(validMse('private', task), validMse(`single-${task}`, task), task);
    }
    const failed = experiment.acceptance.filter((a: { pass: boolean }) => !a.pass).map((a: { task: string }) => a.task);
    assert.ok(failed.includes('first'), JSON.stringify(experiment.acceptance));
    for (const a of experiment.acceptance) assert.ok(Math.abs(a.drop - (a.value - a.baseline) / a.baseline) < 1e-12);
    const printed = result.stdout.split('\n');
    assert.match(printed[1]!, /^variant\s+first mse\s+second mse\s+Δ first\s+Δ second\s+Δp\s+seconds\s+parameters$/);
    assert.deepEqual(printed.slice(2, 5).map((l) => l.split(/\s+/)[0]), ['single', 'shared', 'private']);
    assert.ok(result.stdout.includes('  FAIL  first '), result.stdout);
  });

  it('passes a lenient policy with exit 0; without --ablate it says the policy was not evaluated', () => {
    const passed = run('lenient.mtl', ['--require-acceptance', '--out', path.join(dir, 'lenient')]);
    assert.equal(passed.status, 0, passed.stderr);
    assert.match(passed.stdout, /^ {2}pass {2}first /m);
    assert.match(passed.stdout, /^ {2}pass {2}second /m);
    const plain = run('lenient.mtl', ['--out', path.join(dir, 'plain')]);
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /^acceptance: not evaluated/m);
  });

  it('refuses a bad --ablate and --require-acceptance without a policy, as usage errors', () => {
    const bad = run('strict.mtl', ['--ablate', 'single,privat']);
    assert.equal(bad.status, 2);
    assert.ok(looksLikeUserError(bad.stderr), bad.stderr);
    assert.match(bad.stderr, /unknown variant `privat`/);
    fs.writeFileSync(path.join(dir, 'none.mtl'), program(0.01).replace(/, accept: [^}]*\) }/, ' }'));
    const none = run('none.mtl', ['--require-acceptance']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /declares no acceptance policy/);
  });

  it('mtl compile --ablate writes one job per variant', () => {
    const out = path.join(dir, 'jobs');
    const result = mtl(['compile', path.join(dir, 'strict.mtl'), '--ablate', 'single,scarcity:second=0.5', '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(fs.readdirSync(out).sort(), ['scarcity-second-0.5.json', 'single-first.json', 'single-second.json']);
    const scarce = JSON.parse(fs.readFileSync(path.join(out, 'scarcity-second-0.5.json'), 'utf8'));
    assert.deepEqual(scarce.tasks.map((t: { trainLabels?: unknown }) => t.trainLabels ?? null), [null, { fraction: 0.5, seed: 1 }]);
  });
});

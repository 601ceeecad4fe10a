/**
 * The main job, end to end through the CLI on the WebAssembly backend: `mtl run` trains the two census tasks
 * and `mtl eval --split test` scores the held-out quarter. The reference is a logistic regression on one-hot
 * features with half the file for training: ROC-AUC 0.942 (income) and 0.994 (never married).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { mtl, looksLikeUserError } from './cli.js';

describe('census example', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-census-'));
  const run = path.join(out, 'run');
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('trains both tasks and beats the logistic-regression reference on the test split', () => {
    const trained = mtl(['run', 'examples/census/census.mtl', '--out', run, '--backend', 'wasm', '--no-progress']);
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stderr, /^backend: wasm/m);
    assert.match(trained.stdout, /validation metrics/);
    for (const file of ['job.json', 'features.json', 'metrics.jsonl', 'summary.json', 'weights.json', 'weights.bin', 'curves.svg']) {
      assert.ok(fs.existsSync(path.join(run, file)), `${file} in the run directory`);
    }

    const scored = mtl(['eval', run, '--split', 'test', '--backend', 'wasm']);
    assert.equal(scored.status, 0, scored.stderr);
    const auc = (task: string) => Number(new RegExp(`^test ${task}: .*auc=([0-9.]+)`, 'm').exec(scored.stdout)?.[1]);
    assert.ok(auc('income') >= 0.94, `income test AUC ${auc('income')} >= 0.94`);
    assert.ok(auc('never_married') >= 0.99, `never_married test AUC ${auc('never_married')} >= 0.99`);
  });

  it('refuses to overwrite a finished run', () => {
    const again = mtl(['run', 'examples/census/census.mtl', '--out', run, '--backend', 'wasm', '--no-progress']);
    assert.equal(again.status, 1);
    assert.ok(looksLikeUserError(again.stderr), again.stderr);
  });
});

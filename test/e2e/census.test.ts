/**
 * The main job, end to end through the CLI on the WebAssembly backend: `mtl run` trains the two census tasks
 * and `mtl eval --split test` scores the held-out quarter. The reference is a logistic regression on one-hot
 * features with half the file for training: ROC-AUC 0.942 (income) and 0.994 (never married). The run is then exported
 * and `mtl predict` on the whole file gives, for the test rows, the very probabilities `mtl eval` scored.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import type { SplitPlan } from '../../job/job.js';
import { assignByRatio, splitId } from '../../runtime/data/split.js';
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

  it('predicts the test rows with mtl predict exactly as mtl eval scored them (wasm)', () => {
    const pkg = path.join(out, 'package');
    const exported = mtl(['export', run, '-o', pkg, '--backend', 'wasm']);
    assert.equal(exported.status, 0, exported.stderr);
    const predictions = path.join(out, 'predicted.arrow');
    const predicted = mtl(['predict', pkg, 'examples/census/data/census-income.arrow', '-o', predictions, '--backend', 'wasm', '--no-progress']);
    assert.equal(predicted.status, 0, predicted.stderr);
    const evaluated = path.join(out, 'evaluated.arrow');
    const scored = mtl(['eval', run, '--split', 'test', '--predictions', evaluated, '--backend', 'wasm']);
    assert.equal(scored.status, 0, scored.stderr);

    // The test rows, as the loader assigns them from the job's ratio split, in file order.
    const job = JSON.parse(fs.readFileSync(path.join(run, 'job.json'), 'utf8')) as { datasets: { split: Extract<SplitPlan, { kind: 'ratio' }> }[] };
    const all = tableFromIPC(fs.readFileSync(predictions));
    const assigned = new Uint8Array(all.numRows);
    assignByRatio(job.datasets[0]!.split, 0, assigned);
    const test = tableFromIPC(fs.readFileSync(evaluated));
    assert.equal(test.numRows, assigned.filter((s) => s === splitId('test')).length);
    for (const column of ['income.probability', 'never_married.probability']) {
      const served = (all.getChild(column)!.toArray() as Float32Array).filter((_, i) => assigned[i] === splitId('test'));
      assert.deepEqual(served, test.getChild(column)!.toArray(), `${column}: identical on the same backend`);
    }
  });

  it('refuses to overwrite a finished run', () => {
    const again = mtl(['run', 'examples/census/census.mtl', '--out', run, '--backend', 'wasm', '--no-progress']);
    assert.equal(again.status, 1);
    assert.ok(looksLikeUserError(again.stderr), again.stderr);
  });
});

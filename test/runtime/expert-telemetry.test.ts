/**
 * Expert telemetry (runtime/train/experts.ts): a tiny MMoE with hand-set gates gives its exact mean distribution,
 * entropies and load over a split's batches; a top-k gate's routing gives its load and capacity drops; training writes
 * a `kind: 'experts'` row per gate and evaluated epoch to metrics.jsonl, and the report reads them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../../job/job.js';
import type { Batch, JobData } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import type { GateProbe } from '../../runtime/model/schemes/scheme.js';
import { readMetrics } from '../../runtime/report/read.js';
import { entropy, gateLines, gateTelemetry } from '../../runtime/train/experts.js';
import { train } from '../../runtime/train/train.js';
import { fakeJobData, syntheticDataset } from './helpers/fakeData.js';
import { makeJob, mmoeModules, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu } from './helpers/tf.js';

const width = (w: unknown) => w as number;
const H = (...p: number[]) => -p.reduce((s, q) => s + q * Math.log(q), 0);

/** Two regression tasks on a 2-wide input through an MMoE of two experts (the 'm' share). */
const mmoeJob = (): Job => makeJob({
  inputs: [vectorInput('x', 'd', 2)],
  modules: mmoeModules('m', 'x', [2], 2, ['a', 'b']),
  tasks: [task('a', 'regression', { from: 'm.mix.a' }), task('b', 'regression', { from: 'm.mix.b' })],
});

/** A split of the given rows of x, one row per batch, unlabelled: only the gates read it. */
function rowsData(job: Job, rows: number[][]): JobData {
  const batch = (x: number[]): Batch => ({ dataset: 'd', size: 1, inputs: { x: { data: Float32Array.from(x), shape: [1, 2] } }, labels: {} });
  return {
    job,
    fitted: {} as JobData['fitted'],
    width: (w) => w as number,
    batches: async function* () {
      for (const x of rows) yield batch(x);
    },
  };
}

describe('expert telemetry', () => {
  before(useCpu);

  it('a hand-set MMoE: each gate’s exact mean distribution, entropies and load over the split', async () => {
    const job = mmoeJob();
    const model = buildModel(job, width, 1);
    setWeights(model, {
      'm.gate.a/0/kernel': [0, 0, 0, 0], 'm.gate.a/0/bias': [0, Math.log(3)], // gate a = [1/4, 3/4] for every row
      'm.gate.b/0/kernel': [1, -1, 0, 0], 'm.gate.b/0/bias': [0, 0], // gate b = softmax([x0, -x0]) = [σ(2·x0), σ(-2·x0)]
    });
    // x0 = 0: gate b = [1/2, 1/2]; x0 = ln(3)/2: gate b = [σ(ln 3), σ(-ln 3)] = [3/4, 1/4]. Mean of b: [5/8, 3/8].
    const records = await gateTelemetry(model, rowsData(job, [[0, 5], [Math.log(3) / 2, -1]]), 'valid');
    // A hand-written job's modules name no share: it goes by its first expert (shareName).
    assert.deepEqual(records.map((r) => [r.share, r.module, r.task, r.experts, r.rows, r.dropped]), [
      ['m.expert0', 'm.gate.a', 'a', ['m.expert0', 'm.expert1'], 2, null],
      ['m.expert0', 'm.gate.b', 'b', ['m.expert0', 'm.expert1'], 2, null],
    ]);
    const [a, b] = records as [typeof records[0], typeof records[0]];
    assertAllClose(a.utilisation, [0.25, 0.75], 1e-6, 'gate a mean');
    assertAllClose([a.entropy, a.rowEntropy], [H(0.25, 0.75), H(0.25, 0.75)], 1e-6, 'gate a entropies');
    assertAllClose(b.utilisation, [5 / 8, 3 / 8], 1e-6, 'gate b mean');
    // The mean's entropy is above its rows' mean entropy: the rows differ.
    assertAllClose([b.entropy, b.rowEntropy], [H(5 / 8, 3 / 8), (Math.log(2) + H(0.75, 0.25)) / 2], 1e-6, 'gate b entropies');
    assert.deepEqual(b.load, b.utilisation, 'a dense gate’s load is its mean distribution');
    assert.match(gateLines(records)[0]!, /^m\.gate\.a \(a\): mean weights 0\.25 0\.75; entropy 0\.562 of ln 2 = 0\.693, per row 0\.562$/);
    model.dispose();
  });

  it('a top-k gate: load is the share of assignments per expert, dropped the share capacity dropped', async () => {
    const job = mmoeJob();
    const model = buildModel(job, width, 1);
    // Each batch: two rows; row 1 sent to experts 0 and 1, row 2 to experts 1 and 2; one assignment dropped.
    const probe: GateProbe = {
      share: 'm', gate: 'router', task: 'a', experts: ['e0', 'e1', 'e2'],
      observe: () => ({
        weights: tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]),
        routing: { assigned: tf.tensor2d([[1, 1, 0], [0, 1, 1]]), dropped: 1 },
      }),
    };
    const [record] = await gateTelemetry({ ...model, gates: [probe] }, rowsData(job, [[0, 0], [1, 1]]), 'valid');
    // Two batches: assignments [2, 4, 2] of 8, 2 dropped; mean weights [0.4, 0.15, 0.45] over 4 rows.
    assertAllClose(record!.load, [0.25, 0.5, 0.25], 1e-6, 'load');
    assert.equal(record!.dropped, 0.25);
    assertAllClose(record!.utilisation, [0.4, 0.15, 0.45], 1e-6, 'mean weights');
    assert.equal(record!.rows, 4);
    assert.match(gateLines([record!])[0]!, /; load 0\.25 0\.50 0\.25; dropped 25\.0% for capacity$/);
    model.dispose();
  });

  it('entropy: ln n when uniform, 0 for one expert', () => {
    assertAllClose([entropy([0.25, 0.25, 0.25, 0.25]), entropy([1, 0, 0])], [Math.log(4), 0], 1e-12);
  });

  it('training writes a row per gate and evaluated epoch, and the result has the kept weights’ gates', async () => {
    const job = { ...mmoeJob(), training: { ...mmoeJob().training, stages: [{ tasks: ['a', 'b'], frozen: [], epochs: 2, steps: null }] } };
    const data = fakeJobData(job, { d: syntheticDataset('x', 2, [{ name: 'a', kind: 'regression' }, { name: 'b', kind: 'regression' }], { train: 32, valid: 16, test: 4 }, 3) });
    const out = mkdtempSync(join(tmpdir(), 'mtl-experts-'));
    try {
      const result = await train(job, data, { out, progress: false, log: () => {} });
      const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['kind'] === 'experts');
      assert.deepEqual(rows.map((r) => [r['epoch'], r['module'], r['task'], r['split'], r['rows'], (r['utilisation'] as number[]).length, r['dropped']]), [
        [1, 'm.gate.a', 'a', 'valid', 16, 2, null], [1, 'm.gate.b', 'b', 'valid', 16, 2, null],
        [2, 'm.gate.a', 'a', 'valid', 16, 2, null], [2, 'm.gate.b', 'b', 'valid', 16, 2, null],
      ]);
      for (const r of rows) assert.ok(Math.abs((r['utilisation'] as number[]).reduce((s, u) => s + u, 0) - 1) < 1e-6 && typeof r['row_entropy'] === 'number');
      // The kept weights are the best epoch's: the result's gates are that epoch's rows.
      const bestRows = rows.filter((r) => r['epoch'] === result.best.epoch);
      assert.deepEqual(result.experts.map((g) => g.utilisation), bestRows.map((r) => r['utilisation']));
      assert.deepEqual(readMetrics(join(out, 'metrics.jsonl')).filter((r) => r.kind === 'experts').map((r) => r.kind === 'experts' && r.module), ['m.gate.a', 'm.gate.b', 'm.gate.a', 'm.gate.b']);
      result.model.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import type { Job } from '../../job/job.js';
import { UserError } from '../../runtime/errors.js';
import { evalRun, runJob } from '../../runtime/run.js';
import { assignByRatio, splitId } from '../../runtime/data/split.js';
import { uniformStream } from './helpers/fakeData.js';
import { denseModule, task, trainingPlan, resolveRefs } from './helpers/jobs.js';

/** A 600-row Arrow file: two features, a binary label learnable from them, a regression target. */
function writeDataset(directory: string): void {
  const uniform = uniformStream(3);
  const n = 600;
  const x1 = Float32Array.from({ length: n }, () => uniform() * 4 - 2);
  const x2 = Float32Array.from({ length: n }, () => uniform() * 10 + 5);
  const clicked = Float32Array.from({ length: n }, (_, i) => (x1[i]! + (x2[i]! - 10) / 3 > 0 ? 1 : 0));
  const price = Float32Array.from({ length: n }, (_, i) => 2 * x1[i]! - x2[i]! / 5);
  writeFileSync(join(directory, 'd.arrow'), tableToIPC(tableFromArrays({ x1, x2, clicked, price }), 'file'));
}

function runnableJob(root: string, training: Partial<Job['training']> = {}): Job {
  const tasks = [
    { ...task('clicked', 'binary'), target: { col: 'clicked' } },
    { ...task('price', 'regression', { from: null }), target: { col: 'price' } },
  ];
  const inputs: Job['inputs'] = [{ id: 'x', dataset: 'd', features: ['x1_std', 'x2_std'], kind: 'vector', shape: [2] }];
  const resolved = resolveRefs(inputs, [denseModule('trunk', 'x', [8], ['clicked'])], tasks);
  return {
    format: 'mtl-job',
    version: 3,
    source: { file: 'test.mtl', sha256: '0'.repeat(64) },
    root,
    datasets: [
      {
        name: 'd',
        files: ['d.arrow'],
        columns: ['x1', 'x2', 'clicked', 'price'].map((name) => ({ name, type: 'float' as const })),
        split: { kind: 'ratio', train: 0.7, valid: 0.15, test: 0.15, seed: 5 },
      },
    ],
    features: ['x1', 'x2'].map((column) => ({ id: `${column}_std`, dataset: 'd', column, transform: { kind: 'standardize' as const }, shape: [1] })),
    inputs,
    modules: resolved.modules,
    tasks: resolved.tasks,
    batchGroups: [{ dataset: 'd', input: 'x', tasks: ['clicked', 'price'] }],
    training: trainingPlan({ ...training, stages: [{ tasks: ['clicked', 'price'], frozen: [], epochs: 3, steps: null }] }, ['clicked', 'price']),
  };
}

describe('runJob and evalRun', () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'mtl-run-'));
    writeDataset(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  const quiet = { backend: 'cpu', log: () => {}, progress: false } as const;

  it('writes a complete run directory that evalRun reads back', async () => {
    const out = join(root, 'run1');
    const before = tf.memory().numTensors;
    const summary = await runJob(runnableJob(root), { ...quiet, out });
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    assert.deepEqual(readdirSync(out).sort(), ['checkpoints', 'curves.svg', 'features.json', 'job.json', 'metrics.jsonl', 'summary.json', 'weights.bin', 'weights.json']);
    // one at each epoch's end (an epoch is 14 steps, fewer than the default interval); rotation keeps the last two
    // and the best epoch's
    const kept = readdirSync(join(out, 'checkpoints')).map((f) => Number(/^step-0*\d+-epoch-(\d+)\.ckpt$/.exec(f)![1]));
    assert.deepEqual(kept.sort(), [...new Set([2, 3, summary.bestEpoch!])].sort());
    assert.deepEqual(readdirSync(root).sort(), ['d.arrow', 'run1'], 'no partial directory left');
    // The learning curves: one SVG with a panel per measure and a line per task.
    const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
    assert.match(svg, /^<svg/);
    for (const text of ['clicked', 'price', 'train loss', 'valid loss', 'auc', 'mse']) assert.ok(svg.includes(`>${text}<`), `curves.svg shows ${text}`);

    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => `${l.epoch} ${l.kind ?? l.split} ${l.task}`), [1, 2, 3].flatMap((e) => [`${e} train clicked`, `${e} train price`, `${e} valid clicked`, `${e} valid price`]));
    const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(summary)));
    assert.equal(summary.backend.name, 'cpu');
    assert.equal(summary.epochs, 3);
    assert.ok(summary.bestEpoch !== null);

    // The weights are in tfjs's manifest format, with stable names.
    const manifest = JSON.parse(readFileSync(join(out, 'weights.json'), 'utf8'));
    assert.deepEqual(manifest[0].paths, ['weights.bin']);
    assert.deepEqual(
      manifest[0].weights.map((w: { name: string }) => w.name),
      ['trunk/0/kernel', 'trunk/0/bias', 'head/clicked/kernel', 'head/clicked/bias', 'head/price/kernel', 'head/price/bias'],
    );

    // Evaluating the saved weights on the validation split gives the selected epoch's scores.
    const valid = await evalRun(out, 'valid', quiet);
    for (const t of ['clicked', 'price']) {
      for (const [metric, value] of Object.entries(summary.valid![t]!)) {
        assert.ok(Math.abs((valid[t]![metric] as number) - (value as number)) < 1e-6, `${t} ${metric}`);
      }
    }
    const test = await evalRun(out, undefined, quiet);
    assert.equal(typeof test['clicked']!['auc'], 'number');
  });

  it('warns once when the valid split holds one class of a binary task', async () => {
    // The valid rows' labels are all 0 (the split is recomputed here as the loader assigns it).
    const split = new Uint8Array(600);
    assignByRatio({ kind: 'ratio', train: 0.7, valid: 0.15, test: 0.15, seed: 5 }, 0, split);
    const dir = mkdtempSync(join(tmpdir(), 'mtl-run-'));
    const x1 = Float32Array.from({ length: 600 }, (_, i) => i % 7);
    const clicked = Float32Array.from(split, (s, i) => (s === splitId('valid') ? 0 : i % 2));
    writeFileSync(join(dir, 'd.arrow'), tableToIPC(tableFromArrays({ x1, x2: x1.slice(), clicked, price: x1.slice() }), 'file'));
    const lines: string[] = [];
    await runJob(runnableJob(dir), { backend: 'cpu', out: join(dir, 'run'), log: (line) => lines.push(line) });
    const warnings = lines.filter((l) => l.startsWith('warning:'));
    assert.deepEqual(warnings, ['warning: task clicked\'s AUC on the valid split is undefined ("-"): the split has labelled rows of one class only; give the valid split more rows']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('says which training step runs; the fused dense step and the tfjs ops reach the same scores', async () => {
    const run = async (noOpt: string[]) => {
      const lines: string[] = [];
      const out = join(root, `run-step-${noOpt.length}`);
      const summary = await runJob(runnableJob(root), { ...quiet, out, noOpt, log: (line) => lines.push(line) });
      return { steps: lines.filter((l) => l.startsWith('training step:')), valid: summary.valid };
    };
    const fused = await run([]);
    const plain = await run(['fused-dense-step']);
    assert.deepEqual(fused.steps, ['training step: fused dense step (WebAssembly SIMD; `--no-opt fused-dense-step` leaves it out)']);
    assert.deepEqual(plain.steps, ['training step: tfjs ops (--no-opt fused-dense-step)']);
    assert.ok(fused.valid && plain.valid);
    for (const [task, scores] of Object.entries(plain.valid)) {
      for (const [metric, value] of Object.entries(scores)) assert.ok(Math.abs(fused.valid[task]![metric]! - value!) < 1e-4, `${task} ${metric}: ${fused.valid[task]![metric]} vs ${value}`);
    }
    const declined = { ...runnableJob(root), training: { ...runnableJob(root).training, aggregation: { kind: 'pcgrad' as const } } };
    const lines: string[] = [];
    await runJob(declined, { ...quiet, out: join(root, 'run-step-pcgrad'), log: (line) => lines.push(line) });
    assert.deepEqual(lines.filter((l) => l.startsWith('training step:')), ['training step: tfjs ops (the fused dense step does not run this network: the aggregation is pcgrad)']);
  });

  it('a failed run leaves nothing that looks complete', async () => {
    const out = join(root, 'run-failed');
    const job = runnableJob(root);
    // A span head trained with bce, which the runtime refuses before anything is written.
    const refused: Job = { ...job, tasks: job.tasks.map((t, i) => (i === 0 ? { ...t, head: { ...t.head, kind: 'span' as const } } : t)) };
    await assert.rejects(runJob(refused, { ...quiet, out }), (e: unknown) => e instanceof UserError && /pairs a span head with bce loss/.test(e.message));
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('run-failed')), []);
  });

  it('refuses to write over a run unless asked', async () => {
    const out = join(root, 'run1');
    await assert.rejects(runJob(runnableJob(root), { ...quiet, out }), (e: unknown) => e instanceof UserError && /already exists/.test(e.message));
  });

  it('evalRun on a directory that is not a run says so', async () => {
    await assert.rejects(evalRun(root, 'test', quiet), (e: unknown) => e instanceof UserError && /is .* a run directory/.test(e.message));
  });
});

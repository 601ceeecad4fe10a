/**
 * Checkpoints and resume, through the `mtl` command as a user runs it, on the cpu backend: a run killed with SIGKILL
 * at a seeded random point, or while writing a checkpoint, or stopped by Ctrl-C, and then resumed, ends with the same
 * weights, bit for bit, as the run that was never interrupted, and the same metrics.jsonl. The program exercises what
 * carries state across steps: gradnorm's learned weights and initial losses, PCGrad's random task orders (three tasks,
 * so the order matters), dropout masks, Adam's moments, the shuffled data stream part-way through a pass, and model
 * selection. And a run that diverges stops at the step, names the task, and keeps its last good checkpoint.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Random } from '../../runtime/random.js';
import { readCheckpoint } from '../../runtime/checkpoint/file.js';
import { looksLikeUserError, mtl, mtlBin, repoRoot } from './cli.js';

const STEPS = 114; // 6 epochs of ⌈training rows / 16⌉ = 19 steps (the split draws each row's part)

const program = (train: string) => `dataset d {
  files: "d.arrow"
  columns: { x1: float, x2: float, a: float, b: float, c: float }
  split: ratio(train: 0.7, valid: 0.15, test: 0.15, seed: 5)
}
features x { dataset: d, transforms: [standardize(x1, x2)] }
task ta { features: x, target: a == 1, head: binary }
task tb { features: x, target: b, head: regression }
task tc { features: x, target: c == 1, head: binary }
share s = hard(backbone: mlp(units: [16, 8], dropout: 0.2), tasks: [ta, tb, tc])
train { batch_size: 16, epochs: 6, seed: 3, ${train} }
`;
const STATEFUL = 'optimizer: adam(lr: 0.01), weighting: gradnorm(), aggregation: pcgrad()';

/** 400 rows: two features, two binary targets and a noisy regression target. */
function writeData(directory: string): void {
  const random = new Random(11);
  const n = 400;
  const x1 = Float32Array.from({ length: n }, () => random.next() * 4 - 2);
  const x2 = Float32Array.from({ length: n }, () => random.next() * 10 + 5);
  const a = Float32Array.from({ length: n }, (_, i) => (x1[i]! + (x2[i]! - 10) / 3 > 0 ? 1 : 0));
  const b = Float32Array.from({ length: n }, (_, i) => 2 * x1[i]! - x2[i]! / 5 + random.next());
  const c = Float32Array.from({ length: n }, (_, i) => (x1[i]! * (x2[i]! - 10) > 0 ? 1 : 0));
  fs.writeFileSync(path.join(directory, 'd.arrow'), tableToIPC(tableFromArrays({ x1, x2, a, b, c }), 'file'));
}

const runArgs = (file: string, out: string, ...more: string[]) => ['run', file, '--out', out, '--backend', 'cpu', '--no-progress', '--checkpoint-every', '10', ...more];

/** Starts `mtl run` and returns the child and a promise of its exit. */
function start(args: string[], cwd: string) {
  const child = spawn(process.execPath, [mtlBin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited };
}

/** Waits until `ready()` holds (polling), failing after a minute. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const checkpointSteps = (runDir: string): number[] => {
  const directory = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory).flatMap((f) => (/^step-(\d+)(-epoch-\d+)?\.ckpt$/.exec(f) ? [Number(/^step-(\d+)/.exec(f)![1])] : []));
};

/** The summary without its timings (wall clock differs from run to run). */
function summaryOf(runDir: string): unknown {
  const { seconds: _s, trainSeconds: _t, ...rest } = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
  return rest;
}

function assertSameRun(resumed: string, reference: string): void {
  assert.ok(fs.readFileSync(path.join(resumed, 'weights.bin')).equals(fs.readFileSync(path.join(reference, 'weights.bin'))), 'the same weights, bit for bit');
  assert.equal(fs.readFileSync(path.join(resumed, 'metrics.jsonl'), 'utf8'), fs.readFileSync(path.join(reference, 'metrics.jsonl'), 'utf8'));
  assert.deepEqual(summaryOf(resumed), summaryOf(reference));
}

function resume(out: string, cwd: string): string {
  const result = spawnSync(process.execPath, [mtlBin, 'run', '--resume', out, '--no-progress'], { cwd, encoding: 'utf8', timeout: 300_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stderr;
}

describe('mtl run: checkpoints and --resume', () => {
  let dir = '';
  let file = '';
  const reference = () => path.join(dir, 'uninterrupted');
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-resume-'));
    writeData(dir);
    file = path.join(dir, 'p.mtl');
    fs.writeFileSync(file, program(STATEFUL));
    const result = mtl(runArgs(file, reference()), { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the last checkpoints in a finished run', () => {
    const names = fs.readdirSync(path.join(reference(), 'checkpoints')).sort();
    // the last two: step 110 and the end of epoch 6, which is also the best (test/runtime/checkpoint.test.ts keeps an
    // earlier best)
    assert.deepEqual(names, ['step-000000110.ckpt', `step-000000${STEPS}-epoch-6.ckpt`]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(reference(), 'summary.json'), 'utf8')).bestEpoch, 6);
  });

  it('a run killed with SIGKILL at a random step resumes to the same weights as the run never killed', async () => {
    const random = new Random(2024);
    // killed once a checkpoint at or after step `at` exists, then after a random pause: part-way between checkpoints
    const at = 20 + random.int(STEPS - 60);
    const pause = random.int(150);
    const out = path.join(dir, 'killed');
    const { child, exited } = start(runArgs(file, out), dir);
    await until(() => checkpointSteps(`${out}.partial`).some((s) => s >= at), `a checkpoint at step ${at}`);
    await new Promise((r) => setTimeout(r, pause));
    child.kill('SIGKILL');
    const { signal } = await exited;
    assert.equal(signal, 'SIGKILL');
    assert.ok(!fs.existsSync(out), 'a killed run leaves nothing that looks complete');
    const stderr = resume(out, dir);
    const from = Number(new RegExp(`resumed at step (\\d+) of ${STEPS}`).exec(stderr)?.[1]);
    assert.ok(from >= at && from < STEPS, `resumed part-way (from step ${from}, killed after ${at}):\n${stderr}`);
    assertSameRun(out, reference());
    assert.ok(!fs.existsSync(`${out}.partial`));
  });

  it('a run killed while writing a checkpoint resumes from the one before, intact', async () => {
    // runJob with a hook that stops inside the third checkpoint's write (the library's option; the CLI has none)
    const out = path.join(dir, 'torn');
    const script = path.join(dir, 'torn.mjs');
    const marker = path.join(dir, 'torn.marker');
    fs.writeFileSync(script, `
import { writeFileSync } from 'node:fs';
import { compile } from ${JSON.stringify(path.join(repoRoot, 'dist/compiler/index.js'))};
import { runJob } from ${JSON.stringify(path.join(repoRoot, 'dist/runtime/run.js'))};
const { value: job } = compile(${JSON.stringify(file)});
let writes = 0;
await runJob(job, { out: ${JSON.stringify(out)}, backend: 'cpu', progress: false, log: () => {}, checkpointEvery: 10, checkpointMidWrite: (temporary) => {
  if (++writes < 3) return;
  writeFileSync(${JSON.stringify(marker)}, temporary);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
} });
`);
    const child = spawn(process.execPath, [script], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await until(() => fs.existsSync(marker), 'the third checkpoint write');
    child.kill('SIGKILL');
    await exited;
    const temporary = fs.readFileSync(marker, 'utf8');
    assert.ok(fs.existsSync(temporary), 'the half-written temporary file is there');
    // two checkpoints done (steps 10 and 19, the end of epoch 1); the third, step 20, was being written
    assert.deepEqual(checkpointSteps(`${out}.partial`).sort((a, b) => a - b), [10, 19]);
    for (const name of fs.readdirSync(path.join(`${out}.partial`, 'checkpoints')).filter((f) => f.endsWith('.ckpt'))) {
      readCheckpoint(path.join(`${out}.partial`, 'checkpoints', name));
    }
    const stderr = resume(out, dir);
    assert.match(stderr, /from \S*step-000000019-epoch-1\.ckpt/);
    assert.match(stderr, new RegExp(`resumed at step 19 of ${STEPS}`));
    assertSameRun(out, reference());
  });

  it('Ctrl-C stops after the step, writes a checkpoint and says how to resume', async () => {
    const out = path.join(dir, 'interrupted');
    const { child, exited } = start(runArgs(file, out, '--checkpoint-every', '1000'), dir);
    await until(() => checkpointSteps(`${out}.partial`).length > 0, 'the first checkpoint');
    child.kill('SIGINT');
    const { code, stderr } = await exited;
    assert.equal(code, 130, stderr);
    assert.ok(looksLikeUserError(stderr), stderr);
    const step = Number(new RegExp(`interrupted after step (\\d+) of ${STEPS}`).exec(stderr)?.[1]);
    assert.ok(step > 19 && step < STEPS, stderr);
    assert.match(stderr, new RegExp(`checkpoint \\S*step-0*${step}\\.ckpt\\nresume with: mtl run --resume ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    resume(out, dir);
    assertSameRun(out, reference());
  });

  it('a diverging run stops at the step, names the task, keeps its last good checkpoint and exits 1', () => {
    const diverging = path.join(dir, 'diverging.mtl');
    fs.writeFileSync(diverging, program('optimizer: adam(lr: 1000000)'));
    const out = path.join(dir, 'diverged');
    const result = mtl(runArgs(diverging, out, '--checkpoint-every', '1'), { cwd: dir });
    assert.equal(result.status, 1);
    assert.ok(looksLikeUserError(result.stderr), result.stderr);
    assert.match(result.stderr, /error: training diverged at step 2 \(epoch 1\): task `t[abc]`'s loss is \S+, over 1000 times its loss at its first step \(\S+\)\n/);
    assert.match(result.stderr, /the last good checkpoint is \S*step-000000001\.ckpt; lower the learning rate/);
    assert.ok(!fs.existsSync(out), 'nothing that looks like a finished run');
    assert.deepEqual(checkpointSteps(`${out}.partial`), [1]);
  });

  it('refuses to start over an interrupted run, and to resume what is not one', () => {
    const fresh = mtl(runArgs(file, path.join(dir, 'diverged')), { cwd: dir });
    assert.equal(fresh.status, 1);
    assert.match(fresh.stderr, /diverged\.partial holds an interrupted run \(its last checkpoint is step 1\): resume it with `mtl run --resume/);
    const finished = mtl(['run', '--resume', reference()], { cwd: dir });
    assert.equal(finished.status, 1);
    assert.match(finished.stderr, /is a finished run: there is nothing to resume/);
    const both = mtl(['run', file, '--resume', reference()], { cwd: dir });
    assert.equal(both.status, 2);
  });
});

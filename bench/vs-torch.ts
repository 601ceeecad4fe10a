/**
 * `npm run bench:vs-torch` (issue 14): mtl against PyTorch on census-income task group 1 and on the reference step.
 *
 * - census hard sharing (bench/programs/census-hard.mtl: MLP 128 → 64, a tower of 8 per task) and census MMoE
 *   (bench/programs/census-mmoe.mtl: 8 experts of 4 units, a softmax gate per task, towers of 8), batch 256, 10
 *   epochs. The mtl side is the real `mtl run PROGRAM` in a child process; the PyTorch side is bench/torch/census.py,
 *   the same shapes, loss (the sum of the tasks' BCE), Adam (the job's lr, betas and epsilon), batch size and epochs,
 *   on the same rows: the census splits as mtl's loader encodes them (bench/torch/export.ts), written once to a
 *   temporary directory. Each epoch on both sides trains one shuffled pass and then evaluates the validation split
 *   (each task's AUC).
 * - the reference step (bench/step.ts's model: batch 256, input 100 → dense 256 → dense 256, two MSE heads, Adam):
 *   mtl's training step in this process, bench/torch/step.py in PyTorch, on the same batch; median ms per step.
 *
 * PyTorch runs as /usr/bin/python3 on one thread (torch.set_num_threads(1), OMP/MKL_NUM_THREADS=1); it is no
 * dependency of the project or of CI: without `import torch` the bench measures the mtl side alone and says so.
 * Each round runs [mtl hard, torch hard, mtl mmoe, torch mmoe, mtl step, torch step], rotated by one per round, so a
 * busy spell of the machine spreads over all of them; the table gives medians over rounds and the ratio mtl/torch.
 *
 * The targets (mtl per epoch ≤ 1.0x PyTorch on both census models, the step ≤ 2x) are reported as met or
 * not met, never enforced: the exit code is 0 unless something crashed.
 *
 *   --rounds N        rounds (default 3)
 *   --epochs N        epochs per census run (default: the programs' 10)
 *   --quick           2 epochs, 1 round: a smoke test
 *   --backend NAME    as `mtl run --backend` (also for the step in this process)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { compileProgram, hasErrors, renderFrames, type Job, type ModulePlan } from '../compiler/index.js';
import { selectBackend } from '../runtime/backend.js';
import type { RunSummary } from '../runtime/run.js';
import { benchJob, BATCH, INPUT, MEASURED_STEPS, median, randomBatch, runtimeStepper, WARMUP_STEPS } from './step.js';
import { exportJobRows, exportSplit, writeHeader } from './torch/export.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const CLI = path.join(root, 'dist', 'cli', 'main.js');
const TORCH_DIR = path.join(root, 'bench', 'torch');
const PYTHON = '/usr/bin/python3';

/** The targets: mtl/torch at most this. */
const TARGETS = { census: 1.0, step: 2.0 } as const;

interface CensusModel {
  key: 'hard' | 'mmoe';
  label: string;
  file: string;
}

const MODELS: readonly CensusModel[] = [
  { key: 'hard', label: 'census hard sharing', file: path.join(root, 'bench', 'programs', 'census-hard.mtl') },
  { key: 'mmoe', label: 'census MMoE', file: path.join(root, 'bench', 'programs', 'census-mmoe.mtl') },
];

/** One census run's times per epoch: the training steps alone, and a whole epoch (training, evaluation and the rest). */
interface EpochTimes {
  train: number;
  /** null with one epoch: the span between epochs needs two. */
  epoch: number | null;
  /** Each task's validation AUC at the epoch of the best mean AUC. */
  auc: Record<string, number | null>;
}

/** A census program ready to run: its file (a copy with the epochs set, when they differ) and its job. */
interface Prepared {
  model: CensusModel;
  program: string;
  job: Job;
}

/** The program with `epochs:` set, written into `dir` with its import made absolute (so it still finds census-data.mtl). */
async function prepare(model: CensusModel, epochs: number | undefined, dir: string): Promise<Prepared> {
  let text = readFileSync(model.file, 'utf8');
  let program = model.file;
  if (epochs !== undefined) {
    if (!/^\s*epochs:.*$/m.test(text)) throw new Error(`${model.file} has no \`epochs:\` line to set`);
    text = text
      .replace(/^(\s*)epochs:.*$/m, `$1epochs: ${epochs}`)
      .replace(/^import "([^"]+)"/gm, (_line, file: string) => `import ${JSON.stringify(path.resolve(path.dirname(model.file), file))}`);
    program = path.join(dir, path.basename(model.file));
    await writeFile(program, text);
  }
  const compiled = compileProgram({ file: program, text });
  if (hasErrors(compiled.diagnostics) || !compiled.job) throw new Error(`${program} does not compile:\n${renderFrames(compiled.diagnostics, compiled.loaded.sources)}`);
  return { model, program, job: compiled.job };
}

/** `mtl run` in a child process; the epoch lines it prints are timed as they arrive. */
async function runMtl(prepared: Prepared, out: string, backend: string | undefined): Promise<EpochTimes & { backend: string }> {
  const args = [CLI, 'run', prepared.program, '--out', out, '--no-progress', ...(backend ? ['--backend', backend] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const epochLines: number[] = [];
  const stderr: string[] = [];
  const lines = createInterface({ input: child.stderr });
  lines.on('line', (line) => {
    if (/^epoch \d+ /.test(line)) epochLines.push(performance.now());
    stderr.push(line);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`mtl run ${path.relative(root, prepared.program)} exited with ${code}:\n${stderr.slice(-20).join('\n')}`);
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
  await rm(out, { recursive: true, force: true });
  const spans = epochLines.length - 1;
  const auc = Object.fromEntries(Object.entries(summary.valid ?? {}).map(([task, scores]) => [task, scores['auc'] ?? null]));
  return {
    train: summary.trainSeconds / summary.epochs,
    epoch: spans > 0 ? (epochLines[spans]! - epochLines[0]!) / 1000 / spans : null,
    auc,
    backend: summary.backend.name,
  };
}

/** What census.py needs to build the job's model: its layers' widths, and the job's optimizer. */
function torchArguments(job: Job): string[] {
  const units = (module: ModulePlan): number[] =>
    module.layers.map((layer) => {
      if (layer.kind !== 'dense') throw new Error(`module ${module.id} has a ${layer.kind} layer; census.py builds dense layers`);
      return layer.units;
    });
  const one = <T>(values: readonly T[], what: string): T => {
    const distinct = [...new Set(values.map((v) => JSON.stringify(v)))];
    if (distinct.length !== 1) throw new Error(`the job has ${distinct.length} ${what}; census.py builds one`);
    return JSON.parse(distinct[0]!) as T;
  };
  const towers = job.tasks.map((task) => {
    const from = task.from;
    const tower = 'module' in from ? job.modules.find((m) => m.id === from.module && m.share === null) : undefined;
    if (!tower || tower.layers.length !== 1) throw new Error(`task ${task.name} has no tower of one layer; census.py builds one`);
    return units(tower)[0]!;
  });
  const shared = job.modules.filter((m) => m.share !== null);
  const kind = one(shared.map((m) => m.sharing.kind), 'sharing kinds');
  const model: string[] = [];
  if (kind === 'hard') {
    model.push('--model', 'hard', '--trunk', one(shared.map(units), 'shared trunks').join(','));
  } else if (kind === 'mmoe') {
    const sharing = shared[0]!.sharing as Extract<ModulePlan['sharing'], { kind: 'mmoe' }>;
    const experts = shared.filter((m) => sharing.experts.includes(m.id));
    model.push('--model', 'mmoe', '--experts', String(experts.length), '--expert-units', String(one(experts.map(units), 'expert shapes').join(',')));
  } else {
    throw new Error(`census.py builds hard sharing and mmoe, not ${kind}`);
  }
  const { optimizer, batchSize, stages, seed } = job.training;
  const epochs = one(stages.map((s) => s.epochs), 'stages');
  return [
    ...model, '--tower', String(one(towers, 'tower widths')),
    '--epochs', String(epochs), '--batch', String(batchSize), '--seed', String(seed), ...adamArguments(optimizer),
  ];
}

/** The job's Adam as bench/torch/rows.py's add_adam_arguments takes it. */
function adamArguments(optimizer: Job['training']['optimizer']): string[] {
  if (optimizer.kind !== 'adam' || optimizer.lr.kind !== 'constant') throw new Error('the PyTorch side trains with Adam at a constant learning rate');
  return ['--lr', String(optimizer.lr.lr), '--beta1', String(optimizer.beta1), '--beta2', String(optimizer.beta2), '--epsilon', String(optimizer.epsilon)];
}

/** Runs a script of bench/torch/ and returns the JSON line it prints. */
async function runPython<T>(script: string, args: readonly string[]): Promise<T> {
  const child = spawn(PYTHON, [path.join(TORCH_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`${PYTHON} ${script} exited with ${code}:\n${stderr.trim().split('\n').slice(-20).join('\n')}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

interface TorchEpoch {
  epoch: number;
  train_seconds: number;
  eval_seconds: number;
  auc: Record<string, number | null>;
}

/** census.py's epochs, timed as mtl's are: training steps per epoch over all epochs; whole epochs from the second on. */
async function runTorchCensus(prepared: Prepared, dataDir: string): Promise<EpochTimes & { torch: string; threads: number }> {
  const result = await runPython<{ torch: string; threads: number; epochs: TorchEpoch[] }>('census.py', ['--data', dataDir, ...torchArguments(prepared.job)]);
  const { epochs } = result;
  const later = epochs.slice(1);
  const meanAuc = (e: TorchEpoch) => Object.values(e.auc).reduce<number>((s, v) => s + (v ?? NaN), 0);
  const best = epochs.reduce((a, b) => (meanAuc(b) > meanAuc(a) ? b : a));
  return {
    train: epochs.reduce((s, e) => s + e.train_seconds, 0) / epochs.length,
    epoch: later.length > 0 ? later.reduce((s, e) => s + e.train_seconds + e.eval_seconds, 0) / later.length : null,
    auc: best.auc,
    torch: result.torch,
    threads: result.threads,
  };
}

/** mtl's training step (bench/step.ts) in this process: the median of its timed steps, in ms. */
function mtlStepMs(): number {
  const stepper = runtimeStepper(randomBatch());
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) stepper.step();
    const times: number[] = [];
    for (let i = 0; i < MEASURED_STEPS; i++) {
      const started = performance.now();
      stepper.step();
      times.push(performance.now() - started);
    }
    return median(times);
  } finally {
    stepper.dispose();
  }
}

async function torchStepMs(stepDir: string): Promise<number> {
  const args = ['--data', stepDir, ...adamArguments(benchJob().training.optimizer), '--warmup', String(WARMUP_STEPS), '--steps', String(MEASURED_STEPS)];
  return (await runPython<{ median_ms: number }>('step.py', args)).median_ms;
}

/** bench/step.ts's batch, written as the census rows are, for step.py. */
async function exportStepBatch(dir: string): Promise<void> {
  const batch = randomBatch();
  const tasks = Object.keys(batch.labels);
  const train = await exportSplit(dir, 'train', 'x', tasks, [batch]);
  await writeHeader(dir, { format: 'mtl-rows', dtype: 'float32', byteOrder: 'little', width: INPUT, tasks, splits: { train } });
}

function torchFound(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

type Side = 'mtl' | 'torch';
interface Item {
  side: Side;
  what: CensusModel['key'] | 'step';
}

const seconds = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : value.toFixed(3));
const aucs = (auc: Record<string, number | null>): string => Object.entries(auc).map(([t, v]) => `${t} ${v === null ? '-' : v.toFixed(4)}`).join(', ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, epochs: { type: 'string' }, quick: { type: 'boolean', default: false }, backend: { type: 'string' } },
  });
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
  const epochs = values.epochs !== undefined ? Number(values.epochs) : values.quick ? 2 : undefined;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, not ${values.rounds}`);
  if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs takes a positive integer, not ${values.epochs}`);
  const withTorch = torchFound();
  const dir = await mkdtemp(path.join(tmpdir(), 'mtl-vs-torch-'));
  try {
    const prepared = new Map<string, Prepared>();
    for (const model of MODELS) prepared.set(model.key, await prepare(model, epochs, dir));
    const dataDir = path.join(dir, 'census');
    const stepDir = path.join(dir, 'step');
    if (withTorch) {
      // Both programs read the same features of the same dataset: one export serves both.
      const [first, ...rest] = [...prepared.values()];
      for (const other of rest) {
        if (JSON.stringify(other.job.inputs) !== JSON.stringify(first!.job.inputs)) throw new Error(`${other.program} reads other inputs than ${first!.program}`);
      }
      const started = performance.now();
      const header = await exportJobRows(first!.job, dataDir, ['train', 'valid']);
      await exportStepBatch(stepDir);
      console.error(`exported the census rows as mtl encodes them (train ${header.splits.train!.rows} and valid ${header.splits.valid!.rows} rows of ${header.width} floats) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } else {
      console.error(`PyTorch was not found (${PYTHON} -c 'import torch' failed): measuring the mtl side only`);
    }
    const backend = await selectBackend(values.backend);

    const items: Item[] = [
      ...MODELS.flatMap((m): Item[] => [{ side: 'mtl', what: m.key }, { side: 'torch', what: m.key }]),
      { side: 'mtl', what: 'step' } as const,
      { side: 'torch', what: 'step' } as const,
    ].filter((item) => withTorch || item.side === 'mtl');
    const census = new Map<string, EpochTimes[]>();
    const steps = new Map<Side, number[]>();
    let mtlBackend = backend.name;
    let torchVersion = '';
    for (let round = 0; round < rounds; round++) {
      const order = items.map((_, i) => items[(i + round) % items.length]!);
      for (const item of order) {
        const tag = `[round ${round + 1}/${rounds}] ${item.side} ${item.what}`;
        if (item.what === 'step') {
          const ms = item.side === 'mtl' ? mtlStepMs() : await torchStepMs(stepDir);
          steps.set(item.side, [...(steps.get(item.side) ?? []), ms]);
          console.error(`${tag}: ${ms.toFixed(3)} ms/step`);
          continue;
        }
        const program = prepared.get(item.what)!;
        let times: EpochTimes;
        if (item.side === 'mtl') {
          const ran = await runMtl(program, path.join(dir, `run-${item.what}-${round}`), values.backend);
          mtlBackend = ran.backend;
          times = ran;
        } else {
          const ran = await runTorchCensus(program, dataDir);
          torchVersion = `PyTorch ${ran.torch} on ${ran.threads} thread${ran.threads === 1 ? '' : 's'}`;
          times = ran;
        }
        const key = `${item.side}/${item.what}`;
        census.set(key, [...(census.get(key) ?? []), times]);
        console.error(`${tag}: training steps ${seconds(times.train)} s/epoch, epoch ${seconds(times.epoch)} s; valid AUC (best epoch) ${aucs(times.auc)}`);
      }
    }

    const { batchSize, stages } = prepared.get('hard')!.job.training;
    const epochCount = stages[0]!.epochs;
    const medianOf = (xs: (number | null)[]): number | null => {
      const known = xs.filter((x): x is number => x !== null);
      return known.length ? median(known) : null;
    };
    const rows: string[][] = [];
    const verdict = (mtl: number | null, torch: number | null, target: number): [string, string] => {
      if (mtl === null || torch === null) return ['-', `≤ ${target.toFixed(1)}x`];
      const ratio = mtl / torch;
      return [`${ratio.toFixed(2)}x`, `≤ ${target.toFixed(1)}x ${ratio <= target ? 'met' : 'not met'}`];
    };
    for (const model of MODELS) {
      const mtl = census.get(`mtl/${model.key}`) ?? [];
      const torch = census.get(`torch/${model.key}`) ?? [];
      for (const [measure, pick] of [['training steps', (t: EpochTimes) => t.train], ['epoch (train + valid)', (t: EpochTimes) => t.epoch]] as const) {
        const m = medianOf(mtl.map(pick));
        const t = medianOf(torch.map(pick));
        rows.push([model.label, measure, seconds(m), seconds(t), ...verdict(m, t, TARGETS.census)]);
      }
    }
    const mtlStep = medianOf(steps.get('mtl') ?? []);
    const torchStep = medianOf(steps.get('torch') ?? []);
    const ms = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)} ms`);
    const stepRow = ['reference step', 'median per step', ms(mtlStep), ms(torchStep), ...verdict(mtlStep, torchStep, TARGETS.step)];

    const header = ['model', 'measure', 'mtl s/epoch', 'torch s/epoch', 'mtl/torch', 'target'];
    const widths = header.map((h, i) => Math.max(h.length, ...[...rows, stepRow].map((r) => r[i]!.length)));
    const line = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log('');
    console.log(`mtl (${mtlBackend}) against ${withTorch ? torchVersion : 'PyTorch: not found, mtl side only'}; census-income task group 1, batch ${batchSize}, ${epochCount} epochs; ${rounds} round${rounds === 1 ? '' : 's'}, medians over rounds`);
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log(line(stepRow));
    console.log('');
    console.log('training steps: mtl, summary.json `trainSeconds` (the seconds of the training steps, each with the wait for its batch from the Arrow stream; evaluation not included) / epochs;');
    console.log('  torch, the seconds of its training loop (shuffle, batch gather, forward, backward, Adam, loss read back) / epochs.');
    console.log('epoch (train + valid): mtl, the wall time between the epoch lines `mtl run` prints (training, validation AUC, MMoE gate telemetry, checkpoint), epochs 2 on');
    console.log('  (metrics.jsonl has no timestamps); torch, training plus evaluation (forward over the validation split, AUC per task in numpy), epochs 2 on.');
    console.log(`reference step: bench/step.ts's model, median of ${MEASURED_STEPS} steps after ${WARMUP_STEPS} of warm-up, batch ${BATCH}, in ms.`);
    console.log('Targets are reported, not enforced.');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

/**
 * Data-layer benchmark.
 *
 * 3. Arrow streaming throughput: rows/s through the loader (a census job built here: seven
 *    standardized numbers, seven one-hot categories, two binary targets; batches of 512, shuffled)
 *    against a bare apache-arrow `for await` over the same file that reads every value of every
 *    column from its typed arrays (the floor any loader pays), and against the same bare loop
 *    through `Vector.get` (the slow path the loader avoids). Both input forms keep the training rows, as training
 *    asks; the onehot-lookup form is also timed keeping nothing, and on its second epoch, which the loader draws from
 *    the training rows it kept in the first (no file read, no encoding).
 * 4. Memory: writes an Arrow file of at least 2 GB (16 float64 columns) in a temporary directory,
 *    batch by batch, streams it through the loader (fitting pass and one shuffled epoch), samples
 *    process.memoryUsage().rss every 100 ms, prints the peak (it must stay under 500 MB), and deletes it.
 *
 * Run alone: npx tsx bench/data.ts [--skip-large]
 */
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataType, Float64, RecordBatchReader, type Data } from 'apache-arrow';
import { JOB_FORMAT, JOB_VERSION, type FeaturePlan, type Job, type TaskPlan } from '../job/job.js';
import { numericColumn, recordBatch, schemaOf } from '../runtime/data/arrow-build.js';
import { ArrowFileSink } from '../runtime/data/arrow-sink.js';
import { openJobData } from '../runtime/data/loader.js';

/** The census file, from bench/ under tsx or from dist/bench/ once compiled. */
const CENSUS = ['../examples/census/data/census-income.arrow', '../../examples/census/data/census-income.arrow']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((candidate) => existsSync(candidate)) ?? fileURLToPath(new URL('../examples/census/data/census-income.arrow', import.meta.url));
const RSS_LIMIT_MB = 500;

/** The readers part 3 times, alternating them in each run. */
export type ThroughputReader = 'loader' | 'lookup' | 'lookupUnkept' | 'kept' | 'fit' | 'bare' | 'bareGet';

export interface ThroughputResult {
  rows: number;
  /** Rows of the file (all splits): what the bare loop reads, and what a pass over the training split reads too. */
  fileRows: number;
  /**
   * Rows per second of each reader in each run. loader: training rows, one-hot input, the rows kept for the next epochs
   * (as training asks); lookup: the same with the input fed as kernel row ids (the onehot-lookup pass, as the compiler
   * marks census programs); lookupUnkept: the same, keeping nothing (a pass that is read once: the test split's
   * evaluation, `mtl eval`); kept: the lookup job's second epoch, drawn from the rows kept in the first; fit: the
   * fitting pass (opening, schema checks, statistics and vocabularies over all rows), file rows; bare, bareGet: the
   * bare loops, file rows.
   */
  perRun: Record<ThroughputReader, number[]>;
}

export interface MemoryResult {
  fileBytes: number;
  rows: number;
  writeSeconds: number;
  openSeconds: number;
  epochSeconds: number;
  epochRows: number;
  peakRssMb: number;
  passed: boolean;
}

export interface DataBenchReport {
  throughput: ThroughputResult;
  memory: MemoryResult | null;
}

export interface DataBenchOptions {
  log?: (line: string) => void;
  /** Skip part 4 (the 2 GB file). */
  skipLarge?: boolean;
  /** Size of the generated file (default 2.1e9 bytes). */
  largeBytes?: number;
}

function baseJob(root: string, files: string[], columns: Job['datasets'][number]['columns'], features: Omit<FeaturePlan, 'dataset'>[], tasks: Pick<TaskPlan, 'name' | 'target'>[]): Job {
  const featureIds = features.map((f) => f.id);
  return {
    format: JOB_FORMAT,
    version: JOB_VERSION,
    source: { file: 'bench.mtl', sha256: '' },
    root,
    datasets: [{ name: 'd', files, columns, split: { kind: 'ratio', train: 0.9, valid: 0.05, test: 0.05, seed: 1 } }],
    features: features.map((f) => ({ ...f, dataset: 'd' })),
    inputs: [{ id: 'x', dataset: 'd', features: featureIds, kind: 'vector', shape: [{ sum: features.map((f) => f.shape[0]!) }] }],
    modules: [],
    tasks: tasks.map((t) => ({
      ...t,
      dataset: 'd',
      input: 'x',
      from: { input: 'x' },
      targetType: 'bool',
      head: { kind: 'binary', units: 1, classes: 'index' },
      loss: 'bce',
      metrics: [],
      weight: 1,
    })),
    batchGroups: [{ dataset: 'd', input: 'x', tasks: tasks.map((t) => t.name) }],
    training: {
      optimizer: { kind: 'adam', lr: { kind: 'constant', lr: 0.001 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
      taskLr: {},
      batchSize: 512,
      seed: 1,
      sampling: { kind: 'uniform' },
      weighting: { kind: 'equal' },
      aggregation: { kind: 'sum' },
      stages: [{ tasks: tasks.map((t) => t.name), frozen: [], epochs: 1, steps: null }],
      selection: { kind: 'best', metric: 'loss', task: 'mean', mode: 'min', objectives: tasks.map((t) => ({ task: t.name, metric: 'loss', mode: 'min' })), patience: null },
      evalEvery: 1,
      conflictsEvery: 0,
      shuffleBuffer: 10_000,
    },
  };
}

export function censusJob(): Job {
  const numeric = ['age', 'wage_per_hour', 'capital_gains', 'capital_losses', 'stock_dividends', 'num_emp', 'weeks_worked'];
  const categorical = ['class_worker', 'education', 'sex', 'race', 'major_occ_code', 'det_ind_code', 'citizenship'];
  const columns = [
    ...numeric.map((name) => ({ name, type: 'float' as const })),
    ...[...categorical, 'income_50k', 'marital_stat'].map((name) => ({ name, type: 'string' as const })),
  ];
  const features: Omit<FeaturePlan, 'dataset'>[] = [
    ...numeric.map((c) => ({ id: `${c}.std`, column: c, transform: { kind: 'standardize' as const }, shape: [1] })),
    ...categorical.map((c) => ({ id: `${c}.onehot`, column: c, transform: { kind: 'onehot' as const, maxVocab: 1000, minCount: 1 }, shape: [{ vocab: `${c}.onehot` }] })),
  ];
  return baseJob(path.dirname(CENSUS), [path.basename(CENSUS)], columns, features, [
    { name: 'income', target: { op: '==', args: [{ col: 'income_50k' }, { lit: '50000+.' }] } },
    { name: 'never_married', target: { op: '==', args: [{ col: 'marital_stat' }, { lit: 'Never married' }] } },
  ]);
}

/** Reads every value of every column from its typed arrays; returns the row count (and a checksum, so nothing is optimized away). */
export async function bareRead(file: string, useGet: boolean): Promise<{ rows: number; checksum: number }> {
  const handle = await fs.open(file);
  const reader = await RecordBatchReader.from(handle);
  let rows = 0;
  let checksum = 0;
  try {
    for await (const batch of reader) {
      rows += batch.numRows;
      for (let c = 0; c < batch.numCols; c++) {
        if (useGet) {
          const vector = batch.getChildAt(c)!;
          for (let i = 0; i < vector.length; i++) {
            const v = vector.get(i);
            checksum += typeof v === 'number' ? v : typeof v === 'string' ? v.length : 0;
          }
        } else {
          checksum += sumValues(batch.data.children[c]!);
        }
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return { rows, checksum };
}

function sumValues(data: Data): number {
  const values = data.values as ArrayLike<number> | undefined;
  if (!values || DataType.isBool(data.type)) return 0;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += values[i]!;
  return sum;
}

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { seconds: (performance.now() - start) / 1000, value };
}

/**
 * Opens the job's data and streams `epochs` shuffled epochs of its training split (the first reads the file), asking
 * the loader to keep the rows (as training does) when `keep`, and letting it reuse batch arrays (as training does).
 */
export async function streamEpoch(job: Job, batchSize: number, onBatch?: () => void, epochs = 1, keep = epochs > 1): Promise<{ openSeconds: number; epochSeconds: number; rows: number; fitRows: number; laterSeconds: number[] }> {
  const opened = await timed(() => openJobData(job));
  const data = opened.value;
  const rows = data.fitted.rows.d!;
  const times: { seconds: number; value: number }[] = [];
  for (let e = 0; e < epochs; e++) {
    times.push(await timed(async () => {
      let n = 0;
      // As training asks: each batch is done with when the next is asked for, so its arrays may be reused.
      for await (const batch of data.batches('d', 'train', { batchSize, shuffle: true, seed: 1, epoch: e, keep, reuseArrays: true })) {
        n += batch.size;
        onBatch?.();
      }
      return n;
    }));
  }
  return { openSeconds: opened.seconds, epochSeconds: times[0]!.seconds, rows: times[0]!.value, fitRows: rows.train + rows.valid + rows.test, laterSeconds: times.slice(1).map((t) => t.seconds) };
}

const THROUGHPUT_RUNS = 11;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Part 3: loader throughput on the census file against bare apache-arrow iteration, `runs` runs after a warm-up. */
export async function benchThroughput(runs = THROUGHPUT_RUNS): Promise<ThroughputResult> {
  const job = censusJob();
  const lookupJob: Job = { ...job, inputs: job.inputs.map((i) => ({ ...i, lookup: true })) };
  await streamEpoch(job, 512, undefined, 1, true); // warm-up: JIT and page cache
  await streamEpoch(lookupJob, 512, undefined, 2); // and the kept rows' replay
  await streamEpoch(lookupJob, 512, undefined, 1, false);
  await bareRead(CENSUS, false);
  await bareRead(CENSUS, true);
  const perRun: Record<ThroughputReader, number[]> = { loader: [], lookup: [], lookupUnkept: [], kept: [], fit: [], bare: [], bareGet: [] };
  let rows = 0;
  let fileRows = 0;
  for (let r = 0; r < runs; r++) {
    const epoch = await streamEpoch(job, 512, undefined, 1, true);
    rows = epoch.rows;
    fileRows = epoch.fitRows;
    perRun.loader.push(epoch.rows / epoch.epochSeconds);
    perRun.fit.push(epoch.fitRows / epoch.openSeconds);
    const looked = await streamEpoch(lookupJob, 512, undefined, 2);
    perRun.lookup.push(looked.rows / looked.epochSeconds);
    perRun.kept.push(looked.rows / looked.laterSeconds[0]!);
    const once = await streamEpoch(lookupJob, 512, undefined, 1, false);
    perRun.lookupUnkept.push(once.rows / once.epochSeconds);
    const plain = await timed(() => bareRead(CENSUS, false));
    perRun.bare.push(plain.value.rows / plain.seconds);
    const slow = await timed(() => bareRead(CENSUS, true));
    perRun.bareGet.push(slow.value.rows / slow.seconds);
  }
  return { rows, fileRows, perRun };
}

/** Part 4: peak RSS while streaming a ≥ 2 GB file through the loader. */
export async function benchMemory(targetBytes: number): Promise<MemoryResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtl-bench-data-'));
  const file = path.join(dir, 'large.arrow');
  const columnCount = 16;
  const rowsPerBatch = 65_536;
  const names = Array.from({ length: columnCount }, (_, c) => `c${c}`);
  try {
    const written = await timed(async () => {
      const sink = await ArrowFileSink.create(file, 'file');
      let seed = 12345;
      const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
      const batchCount = Math.ceil(targetBytes / (rowsPerBatch * columnCount * 8));
      let schema = null;
      for (let b = 0; b < batchCount; b++) {
        const columns = names.map(() => {
          const values = new Float64Array(rowsPerBatch);
          for (let i = 0; i < rowsPerBatch; i++) values[i] = next();
          return numericColumn(new Float64(), values);
        });
        schema ??= schemaOf(names, columns);
        await sink.write(recordBatch(schema, columns));
      }
      return { bytes: await sink.close(), rows: batchCount * rowsPerBatch };
    });

    const features: Omit<FeaturePlan, 'dataset'>[] = names.slice(0, 8).map((c) => ({ id: `${c}.std`, column: c, transform: { kind: 'standardize' }, shape: [1] }));
    const job = baseJob(dir, ['large.arrow'], names.map((name) => ({ name, type: 'float' })), features, [{ name: 'positive', target: { op: '>', args: [{ col: 'c15' }, { lit: 0 }] } }]);

    if (typeof global.gc === 'function') global.gc();
    let peak = process.memoryUsage().rss;
    const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
    const timer = setInterval(sample, 100);
    let streamed;
    try {
      streamed = await streamEpoch(job, 512);
    } finally {
      clearInterval(timer);
      sample();
    }
    const peakRssMb = peak / 2 ** 20;
    return {
      fileBytes: written.value.bytes,
      rows: written.value.rows,
      writeSeconds: written.seconds,
      openSeconds: streamed.openSeconds,
      epochSeconds: streamed.epochSeconds,
      epochRows: streamed.rows,
      peakRssMb,
      passed: peakRssMb < RSS_LIMIT_MB,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

export async function benchData(options: DataBenchOptions = {}): Promise<DataBenchReport> {
  const log = options.log ?? console.log;
  const throughput = await benchThroughput();
  const { perRun, rows, fileRows } = throughput;
  log(`\n(3) Arrow streaming throughput: ${path.relative(process.cwd(), CENSUS)}, ${thousands(rows)} training rows per epoch of ${thousands(fileRows)} in the file (${perRun.bare.length} runs, each alternating the readers)`);
  // "vs bare": rows delivered per second (training rows, or the file's for the fitting pass and the bare loops) over the
  // bare loop's file rows per second in the same run: a pass over the training split reads every row of the file. The
  // median over the runs, and the lowest and highest: a run's readers share its load, which drifts on shared machines.
  // "time": the bare loop's time over the pass's, file against file (the median of the runs).
  const versus = (reader: ThroughputReader, delivered: number) => {
    const ratios = perRun[reader].map((rowsPerSecond, r) => rowsPerSecond / perRun.bare[r]!);
    const fmt = (x: number) => x.toFixed(2);
    return [thousands(median(perRun[reader])), fmt(median(ratios)), `${fmt(Math.min(...ratios))}-${fmt(Math.max(...ratios))}`, fmt(median(ratios) * (fileRows / delivered))];
  };
  log(
    formatTable(
      ['reader', 'rows/s', 'vs bare', 'runs', 'time'],
      [
        ['loader: encode + shuffle, batches of 512, rows kept (as training)', ...versus('loader', rows)],
        ['the same, one-hot fed as kernel rows (onehot-lookup)', ...versus('lookup', rows)],
        ['the same, keeping nothing (a split read once)', ...versus('lookupUnkept', rows)],
        ['the same, epoch 2: the rows kept in the first', ...versus('kept', rows)],
        ['loader: fitting pass (all rows)', ...versus('fit', fileRows)],
        ['bare for await, typed arrays, all columns', ...versus('bare', fileRows)],
        ['bare for await, Vector.get, all columns', ...versus('bareGet', fileRows)],
      ],
    ),
  );

  let memory: MemoryResult | null = null;
  if (!options.skipLarge) {
    memory = await benchMemory(options.largeBytes ?? 2.1e9);
    log(`\n(4) Streaming a ${(memory.fileBytes / 1e9).toFixed(2)} GB Arrow file (${thousands(memory.rows)} rows, 16 float64 columns) through the loader`);
    log(
      formatTable(
        ['step', 'seconds', 'rows/s'],
        [
          ['write the file (ArrowFileSink)', memory.writeSeconds.toFixed(1), thousands(memory.rows / memory.writeSeconds)],
          ['openJobData: check + fitting pass', memory.openSeconds.toFixed(1), thousands(memory.rows / memory.openSeconds)],
          ['one shuffled epoch of the train split', memory.epochSeconds.toFixed(1), thousands(memory.epochRows / memory.epochSeconds)],
        ],
      ),
    );
    log(`peak RSS ${memory.peakRssMb.toFixed(0)} MB (limit ${RSS_LIMIT_MB} MB): ${memory.passed ? 'ok' : 'OVER THE LIMIT'}`);
  }
  return { throughput, memory };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await benchData({ skipLarge: process.argv.includes('--skip-large') });
  if (report.memory && !report.memory.passed) process.exitCode = 1;
}

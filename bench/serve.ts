/**
 * `npm run bench:serve`: the model server on the census main job, loopback only.
 *
 * Trains `examples/census/census.mtl` for one epoch into bench/out/serve/run (reused when there), exports it
 * (exportModel, as `mtl export` will), and first checks parity on the test split: the probabilities `mtl eval`
 * computes (evaluate), those `mtl predict` writes (predictFile) and those the server returns, all on wasm, compared
 * number for number. Then it starts `mtl serve` children, each with the settings one comparison needs, and loads them
 * with autocannon (each cell at most 3 s and a bounded number of requests, 8 rows per request):
 *
 *   - concurrency 1, 16 and 64 × one task (income) and all tasks, micro-batching on, cache off;
 *   - backbone once for all tasks against once per task (--no-backbone-once), all tasks, 16 connections;
 *   - micro-batching on (2 ms window) against off, all tasks, 16 and 64 connections;
 *   - feature cache hit against miss: requests for `never_married` on rows whose shared features a request for
 *     `income` already cached, against fresh rows, 16 connections.
 *
 * The compared configurations alternate within each of two rounds, and each comparison is reported as a ratio.
 * Printed, and written to bench/out/serve.md. `--epochs N`, `--seconds S` change the training and the cell length.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { compileProgram, hasErrors, renderFrames } from '../compiler/index.js';
import type { Job } from '../job/job.js';
import { parseJob } from '../job/parse.js';
import { selectBackend } from '../runtime/backend.js';
import { loadFitted, openJobData } from '../runtime/data/loader.js';
import { assignByRatio, splitId } from '../runtime/data/split.js';
import { exportModel } from '../runtime/export/export.js';
import { buildModel } from '../runtime/model/build.js';
import { loadWeights } from '../runtime/model/weights.js';
import { runJob } from '../runtime/run.js';
import { loadModel } from '../runtime/serving/load.js';
import { predictFile } from '../runtime/serving/predict-file.js';
import { evaluate } from '../runtime/train/evaluate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const PROGRAM = path.join(root, 'examples', 'census', 'census.mtl');
const OUT = path.join(root, 'bench', 'out', 'serve');
const ROWS_PER_REQUEST = 8;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (options: object) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values: args } = parseArgs({ options: { epochs: { type: 'string', default: '1' }, seconds: { type: 'string', default: '3' } } });
const SECONDS = Number(args.seconds);

async function trainedRun(): Promise<string> {
  const run = path.join(OUT, `run-${args.epochs}-epochs`);
  if (existsSync(path.join(run, 'summary.json'))) return run;
  const text = readFileSync(PROGRAM, 'utf8').replace(/^(\s*)epochs:.*$/m, `$1epochs: ${args.epochs}`);
  const compiled = compileProgram({ file: PROGRAM, text });
  if (hasErrors(compiled.diagnostics) || !compiled.job) throw new Error(renderFrames(compiled.diagnostics, compiled.loaded.sources));
  process.stderr.write(`training census for ${args.epochs} epoch(s) into ${run}\n`);
  await runJob(compiled.job, { out: run, backend: 'wasm', log: () => {}, progress: false, overwrite: true });
  return run;
}

/** Every row of the census file as the objects a client sends (the model's input columns only), and the test rows' indices. */
function censusRows(job: Job, columns: readonly string[]): { rows: Record<string, unknown>[]; test: number[] } {
  const dataset = job.datasets[0]!;
  const table = tableFromIPC(readFileSync(path.resolve(path.dirname(PROGRAM), dataset.files[0]!)));
  const vectors = columns.map((c) => [c, table.getChild(c)!] as const);
  const rows = Array.from({ length: table.numRows }, (_, i) => Object.fromEntries(vectors.map(([c, v]) => [c, v.get(i) as unknown])));
  const assigned = new Uint8Array(table.numRows);
  assignByRatio(dataset.split as Extract<typeof dataset.split, { kind: 'ratio' }>, 0, assigned);
  return { rows, test: rows.flatMap((_, i) => (assigned[i] === splitId('test') ? [i] : [])) };
}

/** `mtl serve` as a child process; resolves with its URL once it listens. */
async function startServer(pkg: string, flags: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), 'serve', pkg, '--port', '0', '--backend', 'wasm', ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /listening on (\S+)/.exec(stderr)?.[1];
      if (url) resolve({ url, child });
    });
    child.on('exit', (code) => reject(new Error(`mtl serve ${flags.join(' ')} exited with ${code}: ${stderr}`)));
  });
}

async function predict(url: string, rows: readonly Record<string, unknown>[], tasks?: string[]): Promise<Record<string, { probability: number }>[]> {
  const response = await fetch(`${url}/v1/models/census:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows, tasks }) });
  if (response.status !== 200) throw new Error(`predict: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { predictions: Record<string, { probability: number }>[] }).predictions;
}

interface Cell {
  reqPerSec: number;
  rowsPerSec: number;
  p50: number;
  p99: number;
}

/** One autocannon cell: `body()` gives each request's body; at most `SECONDS` and `maxRequests`. */
async function load(url: string, connections: number, body: () => string, maxRequests = 1_000_000): Promise<Cell> {
  const result = await autocannon({
    url: `${url}/v1/models/census:predict`,
    connections,
    duration: SECONDS,
    maxOverallRequests: Math.max(connections, maxRequests),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request: object) => ({ ...request, body: body() }) }],
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors at ${url}`);
  const reqPerSec = result.requests.total / result.duration;
  return { reqPerSec, rowsPerSec: reqPerSec * ROWS_PER_REQUEST, p50: result.latency.p50, p99: result.latency.p99 };
}

const cellText = (c: Cell) => `${c.reqPerSec.toFixed(0)} | ${c.rowsPerSec.toFixed(0)} | ${c.p50.toFixed(1)} | ${c.p99.toFixed(1)}`;
const mean = (cells: readonly Cell[]): Cell => ({
  reqPerSec: cells.reduce((s, c) => s + c.reqPerSec, 0) / cells.length,
  rowsPerSec: cells.reduce((s, c) => s + c.rowsPerSec, 0) / cells.length,
  p50: cells.reduce((s, c) => s + c.p50, 0) / cells.length,
  p99: cells.reduce((s, c) => s + c.p99, 0) / cells.length,
});

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const started = Date.now();
  const loadBefore = loadavg()[0]!;
  await selectBackend('wasm');
  const run = await trainedRun();
  const pkg = path.join(OUT, 'package');
  const manifest = await exportModel(run, pkg, { force: true, name: 'census', backend: 'wasm' });
  const job = parseJob(JSON.parse(readFileSync(path.join(run, 'job.json'), 'utf8')));
  const { rows, test } = censusRows(job, manifest.inputSchema.columns.map((c) => c.name));
  const tasks = manifest.tasks.map((t) => t.name);
  const lines: string[] = [];
  const say = (line = '') => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };

  // Parity on the test split: evaluation, the predict library, the server.
  const data = await openJobData(job, { fitted: await loadFitted(path.join(run, 'features.json')) });
  const model = buildModel(job, (w) => data.width(w), job.training.seed);
  await loadWeights(model, run);
  const evaluated = new Map<string, number[]>();
  await evaluate(model, data, 'test', { onPredictions: (_, predictions) => predictions.forEach((values, task) => evaluated.set(task, [...(evaluated.get(task) ?? []), ...values])) });
  model.dispose();
  const predicted = path.join(tmpdir(), `mtl-bench-serve-${process.pid}.arrow`);
  const loaded = await loadModel(pkg);
  await predictFile(loaded, { input: path.resolve(path.dirname(PROGRAM), job.datasets[0]!.files[0]!), output: predicted });
  loaded.dispose();
  const predictedTable = tableFromIPC(readFileSync(predicted));
  rmSync(predicted, { force: true });
  const parityServer = await startServer(pkg, ['--cache-mb', '0']);
  const served = new Map<string, number[]>(tasks.map((t) => [t, []]));
  for (let from = 0; from < test.length; from += 250) {
    const answers = await predict(parityServer.url, test.slice(from, from + 250).map((i) => rows[i]!));
    for (const answer of answers) for (const task of tasks) served.get(task)!.push(answer[task]!.probability);
  }
  parityServer.child.kill('SIGTERM');
  say(`# mtl serve on census (${manifest.id}; wasm; ${ROWS_PER_REQUEST} rows per request, ${SECONDS} s per cell)`);
  say();
  say(`Parity on the test split (${test.length} rows): server and \`mtl predict\` against \`mtl eval\`'s probabilities`);
  say();
  say('| task | server = eval | predict = eval | largest difference |');
  say('| --- | --- | --- | --- |');
  for (const task of tasks) {
    const want = evaluated.get(task)!;
    const fromServer = served.get(task)!;
    const column = predictedTable.getChild(`${task}.probability`)!;
    const fromPredict = test.map((i) => column.get(i) as number);
    const same = (got: number[]) => got.length === want.length && got.every((v, i) => v === want[i]);
    const largest = Math.max(...want.map((v, i) => Math.max(Math.abs(v - fromServer[i]!), Math.abs(v - fromPredict[i]!))));
    say(`| ${task} | ${same(fromServer) ? 'identical' : 'DIFFERENT'} | ${same(fromPredict) ? 'identical' : 'DIFFERENT'} | ${largest} |`);
  }

  // The servers each comparison needs, started once.
  const [batched, unbatched, perTask, cached] = await Promise.all([
    startServer(pkg, ['--cache-mb', '0']),
    startServer(pkg, ['--cache-mb', '0', '--batch-window-ms', '0']),
    startServer(pkg, ['--cache-mb', '0', '--no-backbone-once']),
    startServer(pkg, ['--cache-mb', '256']),
  ]);
  let cursor = 0;
  const nextRows = () => {
    const out = [];
    for (let k = 0; k < ROWS_PER_REQUEST; k++) out.push(rows[cursor++ % rows.length]!);
    return out;
  };
  const bodyFor = (wanted?: string[]) => () => JSON.stringify({ rows: nextRows(), ...(wanted ? { tasks: wanted } : {}) });
  // Warm-up: the first requests of a wasm process compile kernels.
  for (const server of [batched, unbatched, perTask, cached]) await load(server.url, 4, bodyFor(), 200);

  say();
  say('Throughput and latency by concurrency (micro-batching on, cache off)');
  say();
  say('| connections | tasks | req/s | rows/s | p50 ms | p99 ms |');
  say('| --- | --- | --- | --- | --- | --- |');
  for (const connections of [1, 16, 64]) {
    for (const [label, wanted] of [['one (income)', ['income']], ['all', undefined]] as const) {
      say(`| ${connections} | ${label} | ${cellText(await load(batched.url, connections, bodyFor(wanted ? [...wanted] : undefined)))} |`);
    }
  }

  // Cache: rows first seen by a request for income, then asked for never_married (hits), against fresh rows (misses).
  const hitRows = rows.slice(0, 4096);
  for (let from = 0; from < hitRows.length; from += 512) await predict(cached.url, hitRows.slice(from, from + 512), ['income']);
  let hitCursor = 0;
  const hitBody = () => JSON.stringify({ rows: Array.from({ length: ROWS_PER_REQUEST }, () => hitRows[hitCursor++ % hitRows.length]), tasks: ['never_married'] });
  let missCursor = hitRows.length;
  const missBody = () => JSON.stringify({ rows: Array.from({ length: ROWS_PER_REQUEST }, () => rows[missCursor++]), tasks: ['never_married'] });

  const comparisons: { name: string; a: string; b: string; run: (round: number) => Promise<[Cell, Cell]> }[] = [
    { name: 'backbone once vs once per task (all tasks, 16 connections)', a: 'once', b: 'per task', run: async () => [await load(batched.url, 16, bodyFor()), await load(perTask.url, 16, bodyFor())] },
    { name: 'micro-batching on vs off (all tasks, 16 connections)', a: 'on (2 ms)', b: 'off', run: async () => [await load(batched.url, 16, bodyFor()), await load(unbatched.url, 16, bodyFor())] },
    { name: 'micro-batching on vs off (all tasks, 64 connections)', a: 'on (2 ms)', b: 'off', run: async () => [await load(batched.url, 64, bodyFor()), await load(unbatched.url, 64, bodyFor())] },
    {
      name: 'feature cache hit vs miss (never_married after income, 16 connections)',
      a: 'hit',
      b: 'miss',
      run: async () => [await load(cached.url, 16, hitBody), await load(cached.url, 16, missBody, Math.floor((rows.length - missCursor) / ROWS_PER_REQUEST / 2))],
    },
  ];
  const results = comparisons.map(() => ({ a: [] as Cell[], b: [] as Cell[] }));
  for (let round = 0; round < 2; round++) {
    for (const [i, comparison] of comparisons.entries()) {
      const [a, b] = await comparison.run(round);
      results[i]!.a.push(a);
      results[i]!.b.push(b);
    }
  }
  say();
  say('Comparisons (each the mean of two rounds, the two sides alternated; ratio = req/s of the first over the second)');
  say();
  say('| comparison | side | req/s | rows/s | p50 ms | p99 ms | ratio |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [i, comparison] of comparisons.entries()) {
    const a = mean(results[i]!.a);
    const b = mean(results[i]!.b);
    say(`| ${comparison.name} | ${comparison.a} | ${cellText(a)} | ${(a.reqPerSec / b.reqPerSec).toFixed(2)}x |`);
    say(`| | ${comparison.b} | ${cellText(b)} | |`);
  }
  const status = (await (await fetch(`${cached.url}/v1/status`)).json()) as { cache: { hitRatio: number; entries: number; bytes: number } };
  say();
  say(`Feature cache at the end: ${status.cache.entries} rows, ${(status.cache.bytes / 1e6).toFixed(1)} MB, hit ratio ${(100 * status.cache.hitRatio).toFixed(1)}%.`);
  say(`Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${process.env.HOSTNAME ?? 'this machine'} (2 cores); ${((Date.now() - started) / 1000).toFixed(0)} s in all.`);
  for (const server of [batched, unbatched, perTask, cached]) server.child.kill('SIGTERM');
  writeFileSync(path.join(root, 'bench', 'out', 'serve.md'), `${lines.join('\n')}\n`);
}

await main();

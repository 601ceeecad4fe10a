/**
 * What `mtl report` reads: run directories (job.json, summary.json, metrics.jsonl, graph.dot) and experiment
 * directories (experiment.json at the root, one run directory per variant). A report is a viewer, so a run is read
 * without `parseJob`: a run written by an older mtl still shows what it recorded. Every file problem is a UserError
 * naming the file (and the line of metrics.jsonl).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { JOB_FORMAT, type Job } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { RunSummary } from '../run.js';

/** One line of metrics.jsonl, by its `kind` (a validation row has none). */
export type MetricsRow =
  | { kind: 'valid'; epoch: number; split: string; task: string; scores: Record<string, number | null> }
  | { kind: 'train'; epoch: number; task: string; loss: number | null }
  | { kind: 'conflict'; step: number; epoch: number; tasks: [string, string]; cosine: number | null }
  | { kind: 'weights'; epoch: number; weights: Record<string, number>; learned: Record<string, Record<string, number>> }
  | { kind: 'experts'; epoch: number; module: string; task: string; utilisation: number[] };

export interface ReportRun {
  /** How the report names the run: its path, or `experiment/variant`. */
  label: string;
  dir: string;
  job: Job;
  /** Null for a run that did not finish (no summary.json). */
  summary: (RunSummary & Record<string, unknown>) | null;
  rows: MetricsRow[];
  /** The program's graph as DOT when the run kept it (graph.dot, written by `mtl run`). */
  dot: string | null;
}

/** experiment.json, as `mtl run --ablate` writes it at an experiment directory's root. */
export const ExperimentSchema = Type.Object({
  kind: Type.Literal('ablation'),
  program: Type.String(),
  variants: Type.Array(Type.Object({ name: Type.String(), dir: Type.String(), seconds: Type.Number(), parameters: Type.Number() })),
  table: Type.Object({
    columns: Type.Array(Type.String()),
    rows: Type.Array(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Null()]))),
  }),
  acceptance: Type.Union([
    Type.Null(),
    Type.Array(Type.Object({
      task: Type.String(), variant: Type.String(), baseline: Type.Number(), value: Type.Number(),
      drop: Type.Number(), maxDrop: Type.Number(), pass: Type.Boolean(),
    })),
  ]),
});
export type ExperimentFile = Static<typeof ExperimentSchema>;

export interface ReportExperiment {
  label: string;
  dir: string;
  experiment: ExperimentFile;
  /** Its variants' runs, in the order of `variants`. */
  runs: ReportRun[];
}

export interface ReportInputs {
  runs: ReportRun[];
  experiments: ReportExperiment[];
}

/** Reads each directory as an experiment (it has experiment.json) or a run (it has job.json). */
export function readReportInputs(dirs: readonly string[]): ReportInputs {
  if (dirs.length === 0) throw new UserError('name at least one run or experiment directory', 2);
  const inputs: ReportInputs = { runs: [], experiments: [] };
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir} is not a directory`);
    // A directory under the working directory reads as its relative path; one elsewhere by its name (a legend has no
    // room for ../../tmp/…).
    const fromHere = relative(process.cwd(), resolve(dir));
    const label = fromHere && !fromHere.startsWith('..') ? fromHere : basename(resolve(dir));
    if (existsSync(join(dir, 'experiment.json'))) inputs.experiments.push(readExperiment(dir, label));
    else if (existsSync(join(dir, 'job.json'))) inputs.runs.push(readRun(dir, label));
    else throw new UserError(`${dir} is neither a run directory (it has no job.json) nor an experiment directory (no experiment.json)`);
  }
  return inputs;
}

function readExperiment(dir: string, label: string): ReportExperiment {
  const file = join(dir, 'experiment.json');
  const value = readJson(file);
  const problem = [...Value.Errors(ExperimentSchema, value)][0];
  if (problem) {
    const found = problem.value === undefined ? 'nothing' : JSON.stringify(problem.value);
    throw new UserError(`${file}: ${problem.path || 'the file'} ${problem.message.toLowerCase()}, found ${found}`);
  }
  const experiment = value as ExperimentFile;
  const runs = experiment.variants.map((v) => {
    const runDir = join(dir, v.dir);
    if (!existsSync(join(runDir, 'job.json'))) throw new UserError(`${file}: variant '${v.name}' names ${runDir}, which is not a run directory (no job.json)`);
    return readRun(runDir, `${label}/${v.name}`);
  });
  return { label, dir, experiment, runs };
}

export function readRun(dir: string, label: string): ReportRun {
  const jobFile = join(dir, 'job.json');
  const job = readJson(jobFile) as Job;
  if (job?.format !== JOB_FORMAT) throw new UserError(`${jobFile} is not an mtl job (its "format" is ${JSON.stringify(job?.format)}, expected "${JOB_FORMAT}")`);
  const summaryFile = join(dir, 'summary.json');
  const summary = existsSync(summaryFile) ? (readJson(summaryFile) as ReportRun['summary']) : null;
  const metricsFile = join(dir, 'metrics.jsonl');
  const rows = existsSync(metricsFile) ? readMetrics(metricsFile) : [];
  const dotFile = join(dir, 'graph.dot');
  return { label, dir, job, summary, rows, dot: existsSync(dotFile) ? readFileSync(dotFile, 'utf8') : null };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message})`);
  }
}

/** metrics.jsonl's rows; a line that is not one of the documented rows names its line number and what it lacks. */
export function readMetrics(file: string): MetricsRow[] {
  const rows: MetricsRow[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const where = `${file}:${index + 1}`;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new UserError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${where}: expected a JSON object, found ${line.slice(0, 40)}`);
    const row = metricsRow(value, where);
    if (row) rows.push(row);
  }
  return rows;
}

function metricsRow(value: Record<string, unknown>, where: string): MetricsRow | null {
  const need = (field: string, ok: (v: unknown) => boolean, what: string) => {
    if (!ok(value[field])) throw new UserError(`${where}: a '${String(value.kind ?? value.split)}' row needs ${field} (${what}), found ${JSON.stringify(value[field]) ?? 'nothing'}`);
  };
  const isNumber = (v: unknown) => typeof v === 'number';
  const isString = (v: unknown) => typeof v === 'string';
  const isScore = (v: unknown) => v === null || typeof v === 'number';
  const isMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  need('epoch', isNumber, 'a number');
  const epoch = value.epoch as number;
  switch (value.kind) {
    case undefined: {
      need('split', isString, 'a split name');
      need('task', isString, 'a task name');
      const { epoch: _e, split, task, ...scores } = value;
      return { kind: 'valid', epoch, split: split as string, task: task as string, scores: Object.fromEntries(Object.entries(scores).filter(([, v]) => isScore(v))) as Record<string, number | null> };
    }
    case 'train':
      need('task', isString, 'a task name');
      need('loss', isScore, 'a number');
      return { kind: 'train', epoch, task: value.task as string, loss: value.loss as number | null };
    case 'conflict':
      need('step', isNumber, 'a number');
      need('tasks', (v) => Array.isArray(v) && v.length === 2 && v.every(isString), 'two task names');
      need('cosine', isScore, 'a number or null');
      return { kind: 'conflict', epoch, step: value.step as number, tasks: value.tasks as [string, string], cosine: value.cosine as number | null };
    case 'weights': {
      need('weights', isMap, 'an object of task weights');
      const { kind: _k, epoch: _e, weights, ...rest } = value;
      const learned = Object.fromEntries(Object.entries(rest).filter(([, v]) => isMap(v))) as Record<string, Record<string, number>>;
      return { kind: 'weights', epoch, weights: weights as Record<string, number>, learned };
    }
    case 'experts':
      need('module', isString, 'a module id');
      need('task', isString, 'a task name');
      need('utilisation', (v) => Array.isArray(v) && v.every(isNumber), 'a number per expert');
      return { kind: 'experts', epoch, module: value.module as string, task: value.task as string, utilisation: value.utilisation as number[] };
    default:
      // A kind this report does not know (written by a newer mtl) is left out, not an error.
      return null;
  }
}

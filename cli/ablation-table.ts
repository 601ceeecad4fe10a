/**
 * The ablation table and the acceptance policy, from each run's scores: per task its first metric, Δ per task against
 * the single-task baselines, and Δp, the mean of those Δ (Maninis et al. 2019; LibMTL's `count_improvement`):
 * Δp = (1/T) Σ_t (−1)^{l_t} (M_t − B_t) / B_t × 100%, with l_t = 1 when lower is better for task t's metric.
 * Pure functions: the runs are made elsewhere (ablate.ts).
 */
import type { AcceptancePlan, MetricKind } from '../job/job.js';
import { metrics } from '../stdlib/index.js';

/** A task's metric of record: its first. */
export interface TaskMetric {
  task: string;
  metric: MetricKind;
}

/** What one run of an experiment gave. */
export interface RunResult {
  /** Its directory under the experiment directory. */
  name: string;
  /** The table row it counts towards (the single-task runs make one row). */
  row: string;
  seconds: number;
  parameters: number;
  /** Per task it trains, its metric of record per split (null when the split had no labelled row). */
  scores: { valid: Record<string, number | null>; test: Record<string, number | null> };
}

export interface Table {
  columns: string[];
  rows: (string | number | null)[][];
}

export interface AcceptanceResult {
  task: string;
  variant: string;
  baseline: number;
  value: number;
  drop: number;
  maxDrop: number;
  pass: boolean;
}

const lowerIsBetter = (metric: MetricKind): boolean => metrics[metric].lowerIsBetter;

/** The relative improvement of `value` over `baseline` in percent, positive when better in the metric's direction. */
export function relativeImprovement(metric: MetricKind, value: number, baseline: number): number {
  // + 0: no change is 0, not −0, for a lower-is-better metric.
  return ((lowerIsBetter(metric) ? -1 : 1) * (value - baseline) / baseline) * 100 + 0;
}

/** Δp over the tasks, in percent; null unless every task has both a value and a baseline. */
export function deltaP(tasks: readonly TaskMetric[], values: Record<string, number | null>, baselines: Record<string, number | null>): number | null {
  let sum = 0;
  for (const { task, metric } of tasks) {
    const value = values[task];
    const baseline = baselines[task];
    if (value == null || baseline == null) return null;
    sum += relativeImprovement(metric, value, baseline);
  }
  return tasks.length ? sum / tasks.length : null;
}

/** Each row's runs merged: the scores of the tasks they train, their time and parameters summed. */
export function rowsOf(runs: readonly RunResult[], split: 'valid' | 'test'): { row: string; scores: Record<string, number | null>; seconds: number; parameters: number }[] {
  const rows = new Map<string, { row: string; scores: Record<string, number | null>; seconds: number; parameters: number }>();
  for (const run of runs) {
    const row = rows.get(run.row) ?? { row: run.row, scores: {}, seconds: 0, parameters: 0 };
    Object.assign(row.scores, run.scores[split]);
    row.seconds += run.seconds;
    row.parameters += run.parameters;
    rows.set(run.row, row);
  }
  return [...rows.values()];
}

/**
 * One row per variant: each task's test metric, Δ per task against `single` (percent, signed so that positive is
 * better), Δp, wall time (seconds) and parameter count. Δ and Δp are null without a `single` row.
 */
export function ablationTable(tasks: readonly TaskMetric[], runs: readonly RunResult[]): Table {
  const rows = rowsOf(runs, 'test');
  const baseline = rows.find((r) => r.row === 'single')?.scores ?? null;
  const columns = [
    'variant', ...tasks.map((t) => `${t.task} ${t.metric}`), ...tasks.map((t) => `Δ ${t.task} %`), 'Δp %', 'seconds', 'parameters',
  ];
  return {
    columns,
    rows: rows.map((r) => [
      r.row,
      ...tasks.map((t) => r.scores[t.task] ?? null),
      ...tasks.map((t) => {
        const value = r.scores[t.task];
        const base = baseline?.[t.task];
        return value == null || base == null ? null : relativeImprovement(t.metric, value, base);
      }),
      baseline ? deltaP(tasks, r.scores, baseline) : null,
      r.seconds,
      r.parameters,
    ]),
  };
}

/**
 * The policy applied to the program as written (`shared`) against the single-task runs, per task: the relative drop
 * of its metric (positive when worse, in the metric's direction) must not exceed `maxDrop`. Null when either is missing.
 */
export function acceptanceOf(policy: AcceptancePlan, tasks: readonly TaskMetric[], runs: readonly RunResult[]): AcceptanceResult[] | null {
  const rows = rowsOf(runs, policy.split);
  const baseline = rows.find((r) => r.row === 'single');
  const shared = rows.find((r) => r.row === 'shared');
  if (!baseline || !shared) return null;
  return tasks.flatMap(({ task, metric }) => {
    const b = baseline.scores[task];
    const value = shared.scores[task];
    if (b == null || value == null) return [];
    const drop = -relativeImprovement(metric, value, b) / 100;
    return [{ task, variant: 'shared', baseline: b, value, drop, maxDrop: policy.maxDrop, pass: drop <= policy.maxDrop + 1e-12 }];
  });
}

/** The table as aligned text: metrics to 4 decimals, Δ as signed percentages, seconds to 0.1. */
export function renderTable(table: Table, tasks: readonly TaskMetric[]): string {
  const metricColumns = tasks.length;
  const cell = (value: string | number | null, column: number): string => {
    if (value === null) return '-';
    if (typeof value === 'string') return value;
    if (column <= metricColumns) return value.toFixed(4);
    if (column <= 2 * metricColumns + 1) return `${value >= 0 ? '+' : ''}${value.toFixed(2)}%`;
    if (column === 2 * metricColumns + 2) return value.toFixed(1);
    return String(value);
  };
  const header = table.columns.map((c) => (c.endsWith(' %') ? c.slice(0, -2) : c));
  const cells = [header, ...table.rows.map((row) => row.map(cell))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** One line per task: pass or fail, with the numbers. */
export function renderAcceptance(policy: AcceptancePlan, results: readonly AcceptanceResult[], tasks: readonly TaskMetric[]): string {
  const metricOf = new Map(tasks.map((t) => [t.task, t.metric]));
  const head = `acceptance: no_regression(max_drop: ${policy.maxDrop}, split: ${policy.split}), the program as written against each task alone:\n`;
  return head + results.map((r) => {
    const drop = r.drop > 0 ? `drops ${(100 * r.drop).toFixed(2)}%` : `gains ${(-100 * r.drop).toFixed(2)}%`;
    return `  ${r.pass ? 'pass' : 'FAIL'}  ${r.task.padEnd(20)} ${metricOf.get(r.task)} ${r.value.toFixed(4)} vs ${r.baseline.toFixed(4)} alone: ${drop} (at most ${(100 * r.maxDrop).toFixed(2)}%)`;
  }).join('\n') + '\n';
}

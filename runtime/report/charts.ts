/**
 * The report's charts as Vega-Lite specifications, from the rows the runs recorded: loss curves (training and
 * validation), the validation metrics (a panel per task and metric), the gradient-conflict heatmap, the learned task
 * weights, and expert utilisation. A chart is made only when some run recorded its data, so every chart has marks. Several runs share a
 * chart: lines are coloured by run (by split or task when there is one run).
 */
import type { ChartSpec } from './vega-svg.js';
import type { ReportRun } from './read.js';

export interface Chart {
  /** Unique in a report; part of the SVG's file name. */
  id: string;
  title: string;
  /** One sentence under the chart: what it shows and how to read it. */
  caption: string;
  spec: ChartSpec;
}

const PANEL = { width: 240, height: 150 } as const;

export function reportCharts(runs: readonly ReportRun[]): Chart[] {
  const several = runs.length > 1;
  return [lossChart(runs, several), metricsChart(runs, several), conflictChart(runs), weightsChart(runs, several), expertsChart(runs)]
    .filter((c): c is Chart => c !== null);
}

function lossChart(runs: readonly ReportRun[], several: boolean): Chart | null {
  const values = runs.flatMap((run) => run.rows.flatMap((row) => {
    if (row.kind === 'train' && row.loss !== null) return [{ run: run.label, task: row.task, split: 'train', epoch: row.epoch, value: row.loss }];
    const loss = row.kind === 'valid' ? row.scores.loss : null;
    return row.kind === 'valid' && typeof loss === 'number' ? [{ run: run.label, task: row.task, split: row.split, epoch: row.epoch, value: loss }] : [];
  }));
  if (values.length === 0) return null;
  return {
    id: 'loss',
    title: 'Loss per task',
    caption: 'Each task\'s mean training loss over the epoch\'s steps and its validation loss, per epoch (each task on its own scale).',
    spec: facetedLines(values, several ? { color: 'run', dash: 'split' } : { color: 'split' }),
  };
}

function metricsChart(runs: readonly ReportRun[], several: boolean): Chart | null {
  const values = runs.flatMap((run) => run.rows.flatMap((row) => row.kind !== 'valid' ? [] : Object.entries(row.scores)
    .filter((e): e is [string, number] => e[0] !== 'loss' && typeof e[1] === 'number' && Number.isFinite(e[1]))
    .map(([metric, value]) => ({ run: run.label, task: row.task, panel: `${row.task}: ${metric}`, epoch: row.epoch, value }))));
  if (values.length === 0) return null;
  return {
    id: 'metrics',
    title: 'Validation metrics',
    caption: 'Every metric of every task on the validation split, per evaluated epoch (each panel on its own scale).',
    spec: facetedLines(values, several ? { color: 'run' } : { color: 'task' }, 'panel'),
  };
}

function conflictChart(runs: readonly ReportRun[]): Chart | null {
  // The mean sampled cosine per epoch and pair of tasks; a step whose cosine was undefined (a zero gradient) is left out.
  const cells = new Map<string, { run: string; pair: string; epoch: number; sum: number; count: number }>();
  for (const run of runs) {
    for (const row of run.rows) {
      if (row.kind !== 'conflict' || row.cosine === null) continue;
      const pair = `${row.tasks[0]} × ${row.tasks[1]}`;
      const key = `${run.label}\u0000${pair}\u0000${row.epoch}`;
      const cell = cells.get(key) ?? { run: run.label, pair, epoch: row.epoch, sum: 0, count: 0 };
      cell.sum += row.cosine;
      cell.count += 1;
      cells.set(key, cell);
    }
  }
  if (cells.size === 0) return null;
  const values = [...cells.values()].map((c) => ({ run: c.run, pair: c.pair, epoch: c.epoch, cosine: c.sum / c.count, samples: c.count }));
  return {
    id: 'conflicts',
    title: 'Gradient conflicts',
    caption: 'Mean cosine between the two tasks\' gradients on the shared parameters (on the shared representation under an aggregation `on: representation`) over each epoch\'s sampled steps: red cells conflict, blue ones agree.',
    spec: heatmap(values, { x: 'epoch', y: 'pair', panel: 'run', color: { field: 'cosine', scheme: 'redblue', domain: [-1, 1], title: 'cosine' } }),
  };
}

function weightsChart(runs: readonly ReportRun[], several: boolean): Chart | null {
  const values = runs.flatMap((run) => run.rows.flatMap((row) => {
    if (row.kind !== 'weights') return [];
    const of = (quantity: string, map: Record<string, number>) =>
      Object.entries(map).filter(([, v]) => Number.isFinite(v)).map(([task, value]) => ({ run: run.label, task, quantity, epoch: row.epoch, value }));
    return [...of('weight', row.weights), ...Object.entries(row.learned).flatMap(([name, map]) => of(name, map))];
  }));
  if (values.length === 0) return null;
  return {
    id: 'weights',
    title: 'Learned task weights',
    caption: 'The adaptive weighting\'s weight of each task after each epoch (and what else it learns, as uncertainty\'s log-variances).',
    spec: facetedLines(values, several ? { color: 'task', dash: 'run' } : { color: 'task' }, 'quantity'),
  };
}

function expertsChart(runs: readonly ReportRun[]): Chart | null {
  // The last recorded epoch of each run and module: how much each task's gate used each expert.
  const last = new Map<string, number>();
  for (const run of runs) for (const row of run.rows) {
    if (row.kind === 'experts') last.set(`${run.label}\u0000${row.module}`, Math.max(last.get(`${run.label}\u0000${row.module}`) ?? 0, row.epoch));
  }
  const values = runs.flatMap((run) => run.rows.flatMap((row) =>
    row.kind === 'experts' && row.epoch === last.get(`${run.label}\u0000${row.module}`)
      ? row.utilisation.map((share, expert) => ({ where: runs.length > 1 ? `${run.label} · ${row.module}` : row.module, task: row.task, expert, share, epoch: row.epoch }))
      : []));
  if (values.length === 0) return null;
  return {
    id: 'experts',
    title: 'Expert utilisation',
    caption: 'The mean gate weight each task gave each expert over the last recorded epoch.',
    spec: heatmap(values, { x: 'expert', y: 'task', panel: 'where', color: { field: 'share', scheme: 'blues', domain: [0, 1], title: 'gate weight' } }),
  };
}

/** Cells of `color` by `x` and `y`, a row of them per `panel` field value. */
function heatmap(values: object[], by: { x: string; y: string; panel: string; color: { field: string; scheme: string; domain: [number, number]; title: string } }): ChartSpec {
  const { field, title, ...scale } = by.color;
  return {
    data: { values },
    facet: { row: { field: by.panel, type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } } },
    spec: {
      mark: { type: 'rect', tooltip: true },
      width: { step: 28 },
      height: { step: 22 },
      encoding: {
        x: { field: by.x, type: 'ordinal' },
        y: { field: by.y, type: 'nominal', title: null },
        color: { field, type: 'quantitative', scale, title },
      },
    },
  } as ChartSpec;
}

/** Lines per epoch, a panel per `panel` field value (each on its own y scale), coloured and dashed by the given fields. */
function facetedLines(values: object[], by: { color: string; dash?: string }, panel = 'task'): ChartSpec {
  return {
    data: { values },
    facet: { field: panel, type: 'nominal', title: null },
    columns: 3,
    spec: {
      ...PANEL,
      mark: { type: 'line', point: true, tooltip: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: by.color, type: 'nominal' },
        ...(by.dash ? { strokeDash: { field: by.dash, type: 'nominal' } } : {}),
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as ChartSpec;
}

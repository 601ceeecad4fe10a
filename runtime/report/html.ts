/**
 * `mtl report`: one self-contained HTML file over runs and experiments, side by side. Charts are rendered to SVG here
 * (Vega-Lite, headless) and inlined, so the page has no script and needs no network; each chart is also written as an
 * SVG file beside the HTML. Sections: experiments (the ablation table, acceptance), final metrics, curves, gradient
 * conflicts, learned task weights, expert utilisation (only when a run recorded it), each run's graph, and the
 * settings (the training plans, one column per run).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { reportCharts, type Chart } from './charts.js';
import { dotToSvg } from './graphviz.js';
import { jobDot } from './job-dot.js';
import { readReportInputs, type ReportExperiment, type ReportInputs, type ReportRun } from './read.js';
import { renderSvg } from './vega-svg.js';
import type { ParetoEpoch } from '../train/selection.js';

export interface ReportFiles {
  html: string;
  /** The charts' SVG files, beside the HTML. */
  svgs: string[];
  bytes: number;
}

/** Reads the directories, writes `out` and its charts' SVGs (each file whole or not at all). */
export async function writeReport(dirs: readonly string[], out: string): Promise<ReportFiles> {
  const inputs = readReportInputs(dirs);
  const charts = reportCharts(allRuns(inputs));
  const rendered = await Promise.all(charts.map(async (chart) => ({ chart, svg: await renderSvg(chart.spec) })));
  const html = reportHtml(inputs, rendered);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const stem = join(dirname(out), basename(out, extname(out)));
  const svgs = rendered.map(({ chart, svg }) => writeWhole(`${stem}-${chart.id}.svg`, svg));
  return { html: writeWhole(out, html), svgs, bytes: Buffer.byteLength(html) };
}

function writeWhole(file: string, text: string): string {
  const partial = `${file}.partial-${process.pid}`;
  try {
    writeFileSync(partial, text);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  return file;
}

/** Every run of the report: those named directly, then each experiment's variants. */
function allRuns(inputs: ReportInputs): ReportRun[] {
  return [...inputs.runs, ...inputs.experiments.flatMap((e) => e.runs)];
}

export function reportHtml(inputs: ReportInputs, charts: readonly { chart: Chart; svg: string }[]): string {
  const runs = allRuns(inputs);
  const chartOf = (id: string) => charts.find((c) => c.chart.id === id);
  const curves = charts.filter((c) => c.chart.id === 'loss' || c.chart.id === 'metrics');
  const sections = [
    ...inputs.experiments.map(experimentSection),
    section('results', 'Final metrics', resultsTable(runs) + paretoTables(runs)),
    curves.length ? section('curves', 'Curves', curves.map(figure).join('')) : null,
    conflictsSection(runs, chartOf('conflicts')),
    weightsSection(runs, chartOf('weights')),
    chartOf('experts') ? section('experts', 'Expert utilisation', figure(chartOf('experts')!)) : null,
    section('graphs', 'Graphs', `<div class="side">${runs.map(graphBlock).join('')}</div>`),
    section('settings', 'Settings', settingsTable(runs)),
  ].filter((s): s is Section => s !== null);
  const title = `mtl report: ${[...inputs.experiments.map((e) => e.label), ...inputs.runs.map((r) => r.label)].join(', ')}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${esc(title)}</h1>
<p>${runs.length} run${runs.length === 1 ? '' : 's'}${inputs.experiments.length ? ` in ${inputs.experiments.length} experiment${inputs.experiments.length === 1 ? '' : 's'}` : ''}:
${runs.map((r) => `<code>${esc(r.label)}</code>`).join(', ')}. Program${new Set(runs.map((r) => r.job.source?.file)).size === 1 ? '' : 's'}:
${[...new Set(runs.map((r) => r.job.source?.file ?? '?'))].map((f) => `<code>${esc(f)}</code>`).join(', ')}.</p>
<nav>${sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join(' · ')}</nav>
</header>
${sections.map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>${s.body}</section>`).join('\n')}
</body>
</html>
`;
}

function experimentSection(e: ReportExperiment, index: number): Section {
  const { experiment } = e;
  const table = tableHtml(experiment.table.columns, experiment.table.rows.map((row) => row.map((cell) => (typeof cell === 'number' ? num(cell) : esc(cell ?? '–')))));
  const acceptance = experiment.acceptance === null
    ? '<p>The program declares no acceptance policy.</p>'
    : tableHtml(['task', 'variant', 'baseline', 'value', 'drop', 'max drop', 'result'], experiment.acceptance.map((a) => [
      esc(a.task), esc(a.variant), num(a.baseline), num(a.value), num(a.drop), num(a.maxDrop),
      a.pass ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>',
    ]));
  const variants = tableHtml(['variant', 'run directory', 'wall time (s)', 'parameters'], experiment.variants.map((v) => [esc(v.name), `<code>${esc(v.dir)}</code>`, num(v.seconds), String(v.parameters)]));
  return section(`experiment-${index + 1}`, `Experiment ${e.label}`, `<p>${esc(experiment.kind)} of <code>${esc(experiment.program)}</code></p>
<h3>Variants against the single-task baselines</h3>${table}<h3>Acceptance</h3>${acceptance}<h3>Variants</h3>${variants}`);
}

function resultsTable(runs: readonly ReportRun[]): string {
  const rows: string[][] = [];
  for (const run of runs) {
    const s = run.summary;
    if (!s) {
      rows.push([esc(run.label), '–', '–', '<em>no summary.json: the run did not finish</em>', '', '']);
      continue;
    }
    for (const [split, scores] of [['valid', s.valid], ['test', s.test]] as const) {
      for (const [task, values] of Object.entries((scores ?? {}) as Record<string, Record<string, number | null>>)) {
        rows.push([esc(run.label), String(s.bestEpoch ?? '–'), split, esc(task), ...[Object.entries(values).map(([m, v]) => `${esc(m)} ${v === null ? '–' : num(v)}`).join(' · ')], `${num(s.seconds)} s, ${s.steps} steps`]);
      }
    }
  }
  return tableHtml(['run', 'best epoch', 'split', 'task', 'metrics', 'run time'], rows);
}

/** The Pareto set of epochs, when the run's selection recorded one (`paretoEpochs` in summary.json). */
function paretoTables(runs: readonly ReportRun[]): string {
  return runs.map((run) => {
    const pareto = run.summary?.paretoEpochs;
    if (!Array.isArray(pareto) || pareto.length === 0) return '';
    return `<h3>Pareto set of epochs: ${esc(run.label)}</h3>${tableHtml(['epoch', 'score', 'per task'], pareto.map((p: ParetoEpoch) => [
      String(p.epoch), p.score === null ? '–' : num(p.score),
      esc(Object.entries(p.values).map(([task, v]) => `${task} ${num(v)}`).join(' · ')),
    ]))}`;
  }).join('');
}

function conflictsSection(runs: readonly ReportRun[], chart: { chart: Chart; svg: string } | undefined): Section | null {
  const rows = runs.flatMap((run) => (run.summary?.conflicts ?? []).map((c) => [
    esc(run.label), esc(`${c.tasks[0]} × ${c.tasks[1]}`), String(c.samples), num(c.meanCosine), `${(100 * c.negativeShare).toFixed(0)}%`,
  ]));
  if (!chart && rows.length === 0) return null;
  return section('conflicts', 'Gradient conflicts', (chart ? figure(chart) : '') + (rows.length ? tableHtml(['run', 'tasks', 'sampled steps', 'mean cosine', 'negative'], rows) : ''));
}

function weightsSection(runs: readonly ReportRun[], chart: { chart: Chart; svg: string } | undefined): Section | null {
  const rows = runs.flatMap((run) => {
    const tw = run.summary?.taskWeights;
    if (!tw) return [];
    return Object.entries(tw.weights).map(([task, w]) => [
      esc(run.label), esc(run.job.training?.weighting?.kind ?? '?'), String(tw.epoch), esc(task), num(w),
      Object.entries(tw.learned).map(([name, values]) => `${esc(name)} ${num(values[task] ?? null)}`).join(' · '),
    ]);
  });
  if (!chart && rows.length === 0) return null;
  return section('weights', 'Learned task weights', (chart ? figure(chart) : '') + (rows.length ? tableHtml(['run', 'weighting', 'after epoch', 'task', 'weight', 'also learned'], rows) : ''));
}

function graphBlock(run: ReportRun, index: number): string {
  const dot = run.dot ?? jobDot(run.job, run.label);
  const from = run.dot ? 'the compiled program (graph.dot)' : 'its job (the run kept no graph.dot)';
  const drawn = dotToSvg(dot);
  const body = 'svg' in drawn
    ? `<div class="graph">${inlineSvg(drawn.svg, `g${index}-`)}</div>`
    : `<p>${'missing' in drawn ? 'Graphviz is not installed (apt-get install graphviz draws this)' : `dot refused the graph: ${esc(drawn.failed)}`}; the DOT text:</p><pre>${esc(dot)}</pre>`;
  return `<div class="run"><h3>${esc(run.label)}</h3><p class="note">Drawn from ${from}.</p>${body}</div>`;
}

/** The training plans flattened to `path: value`, one column per run; rows where runs differ are marked. */
function settingsTable(runs: readonly ReportRun[]): string {
  const flat = runs.map((run) => flatten({ program: run.job.source?.file, tasks: (run.job.tasks ?? []).map((t) => t.name).join(', '), training: run.job.training }));
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  const rows = keys.map((key) => {
    const values = flat.map((f) => f.get(key) ?? '–');
    const differs = new Set(values).size > 1;
    return `<tr${differs ? ' class="differs"' : ''}><th>${esc(key)}</th>${values.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`;
  });
  return `<p class="note">Each run's training plan, as its job.json has it${runs.length > 1 ? '; highlighted rows differ between runs' : ''}.</p>
<table><thead><tr><th></th>${runs.map((r) => `<th>${esc(r.label)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function flatten(value: unknown, prefix = '', into = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  } else if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, into));
  } else {
    into.set(prefix, typeof value === 'string' ? value : JSON.stringify(value) ?? '–');
  }
  return into;
}

function figure({ chart, svg }: { chart: Chart; svg: string }): string {
  return `<figure class="chart" id="chart-${esc(chart.id)}" data-chart="${esc(chart.id)}"><figcaption><strong>${esc(chart.title)}.</strong> ${esc(chart.caption)}</figcaption>${inlineSvg(svg, `${chart.id}-`)}</figure>`;
}

/** An SVG document inside HTML: no XML prologue or doctype, and its ids prefixed so that two SVGs never share one. */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>\s*/, '')
    .replace(/<!DOCTYPE[^>]*>\s*/i, '')
    .replace(/<!--[\s\S]*?-->\s*/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
}

interface Section {
  id: string;
  title: string;
  body: string;
}

function section(id: string, title: string, body: string): Section {
  return { id, title, body };
}

function tableHtml(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '<p class="note">Nothing recorded.</p>';
  return `<table><thead><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function num(value: number | null): string {
  if (value === null || value === undefined) return '–';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 || Math.abs(value) < 1e-3 ? value.toExponential(3) : value.toPrecision(4);
}

function esc(text: string | number): string {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1e293b; margin: 0 auto; max-width: 1200px; padding: 0 24px 48px; }
h1 { font-size: 22px; margin: 24px 0 8px; } h2 { font-size: 18px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; margin-top: 36px; } h3 { font-size: 15px; margin: 18px 0 6px; }
nav a { color: #2563eb; text-decoration: none; } code, pre { font: 12px ui-monospace, Menlo, Consolas, monospace; }
pre { background: #f8fafc; border: 1px solid #e2e8f0; padding: 8px; overflow: auto; max-height: 320px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; } th, td { border: 1px solid #e2e8f0; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f1f5f9; } tr.differs { background: #fef9c3; } td { font-variant-numeric: tabular-nums; }
.pass { color: #15803d; font-weight: 600; } .fail { color: #b91c1c; font-weight: 600; } .note { color: #64748b; font-size: 13px; }
figure.chart { margin: 12px 0 24px; overflow-x: auto; } figcaption { margin-bottom: 6px; }
.side { display: flex; flex-wrap: wrap; gap: 16px; } .run { flex: 1 1 360px; min-width: 0; } .graph { overflow: auto; max-height: 520px; } .graph svg { max-width: 100%; height: auto; }
`;

/**
 * The report's charts from hand-made metrics rows: which charts exist, the values each plots (conflict cosines averaged
 * per epoch and pair, null cosines left out; expert utilisation of the last epoch), and that each renders marks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportCharts } from '../../runtime/report/charts.js';
import { inlineSvg } from '../../runtime/report/html.js';
import type { MetricsRow, ReportRun } from '../../runtime/report/read.js';
import { renderSvg } from '../../runtime/report/vega-svg.js';
import type { Job } from '../../job/job.js';

const runOf = (label: string, rows: MetricsRow[]): ReportRun => ({ label, dir: label, job: {} as Job, summary: null, rows, dot: null });
const values = (spec: unknown) => (spec as { data: { values: Record<string, unknown>[] } }).data.values;

describe('report charts', () => {
  const rows: MetricsRow[] = [
    { kind: 'train', epoch: 1, task: 'a', loss: 0.9 },
    { kind: 'valid', epoch: 1, split: 'valid', task: 'a', scores: { loss: 0.8, auc: 0.7, accuracy: null } },
    { kind: 'conflict', epoch: 1, step: 2, tasks: ['a', 'b'], cosine: -0.5 },
    { kind: 'conflict', epoch: 1, step: 4, tasks: ['a', 'b'], cosine: 0.25 },
    { kind: 'conflict', epoch: 1, step: 6, tasks: ['a', 'b'], cosine: null },
    { kind: 'conflict', epoch: 2, step: 8, tasks: ['a', 'b'], cosine: 0.5 },
    { kind: 'weights', epoch: 1, weights: { a: 1.5, b: 0.5 }, learned: { log_variance: { a: -0.4, b: 0.7 } } },
    { kind: 'experts', epoch: 1, module: 'mix', task: 'a', utilisation: [0.5, 0.5] },
    { kind: 'experts', epoch: 2, module: 'mix', task: 'a', utilisation: [0.75, 0.25] },
    { kind: 'experts', epoch: 2, module: 'mix', task: 'b', utilisation: [0.1, 0.9] },
  ];
  const charts = reportCharts([runOf('r', rows)]);
  const chart = (id: string) => charts.find((c) => c.id === id)!;

  it('makes a chart for each kind of row recorded, and none for what was not', () => {
    assert.deepEqual(charts.map((c) => c.id), ['loss', 'metrics', 'conflicts', 'weights', 'experts']);
    assert.deepEqual(reportCharts([runOf('r', rows.filter((r) => r.kind === 'valid'))]).map((c) => c.id), ['loss', 'metrics']);
    assert.deepEqual(reportCharts([runOf('r', [])]), []);
  });

  it('plots the recorded values: losses by split, metrics per task and metric (nulls left out)', () => {
    assert.deepEqual(values(chart('loss').spec), [
      { run: 'r', task: 'a', split: 'train', epoch: 1, value: 0.9 },
      { run: 'r', task: 'a', split: 'valid', epoch: 1, value: 0.8 },
    ]);
    assert.deepEqual(values(chart('metrics').spec), [{ run: 'r', task: 'a', panel: 'a: auc', epoch: 1, value: 0.7 }]);
    assert.deepEqual(values(chart('weights').spec), [
      { run: 'r', task: 'a', quantity: 'weight', epoch: 1, value: 1.5 },
      { run: 'r', task: 'b', quantity: 'weight', epoch: 1, value: 0.5 },
      { run: 'r', task: 'a', quantity: 'log_variance', epoch: 1, value: -0.4 },
      { run: 'r', task: 'b', quantity: 'log_variance', epoch: 1, value: 0.7 },
    ]);
  });

  it('averages the sampled cosines per epoch and pair, leaving out undefined ones', () => {
    // epoch 1: (−0.5 + 0.25) / 2 over the two defined samples; epoch 2: its one sample
    assert.deepEqual(values(chart('conflicts').spec), [
      { run: 'r', pair: 'a × b', epoch: 1, cosine: -0.125, samples: 2 },
      { run: 'r', pair: 'a × b', epoch: 2, cosine: 0.5, samples: 1 },
    ]);
  });

  it('shows expert utilisation of the last recorded epoch', () => {
    assert.deepEqual(values(chart('experts').spec), [
      { where: 'mix', task: 'a', expert: 0, share: 0.75, epoch: 2 },
      { where: 'mix', task: 'a', expert: 1, share: 0.25, epoch: 2 },
      { where: 'mix', task: 'b', expert: 0, share: 0.1, epoch: 2 },
      { where: 'mix', task: 'b', expert: 1, share: 0.9, epoch: 2 },
    ]);
  });

  it('overlays several runs: lines coloured by run', () => {
    const two = reportCharts([runOf('r1', rows), runOf('r2', rows)]);
    const encoding = (id: string) => (two.find((c) => c.id === id)!.spec as { spec: { encoding: Record<string, { field: string }> } }).spec.encoding;
    assert.equal(encoding('loss').color!.field, 'run');
    assert.equal(encoding('loss').strokeDash!.field, 'split');
    assert.equal(encoding('metrics').color!.field, 'run');
  });

  it('renders each chart to an SVG with one mark per cell of the heatmaps', async () => {
    const heat = await renderSvg(chart('experts').spec);
    // four cells, two tasks × two experts, each labelled with its value
    assert.deepEqual(heat.match(/(?<=<path aria-label=")[^"]*(?=" role="graphics-symbol" aria-roledescription="rect mark")/g), [
      'expert: 0; task: a; gate weight: 0.75', 'expert: 1; task: a; gate weight: 0.25',
      'expert: 0; task: b; gate weight: 0.1', 'expert: 1; task: b; gate weight: 0.9',
    ]);
    for (const c of charts) assert.match(await renderSvg(c.spec), /^<svg[\s\S]*aria-roledescription="(line|rect) mark"/, c.id);
  });

  it('prefixes ids when inlining an SVG, so two SVGs in one page never share one', () => {
    assert.equal(
      inlineSvg('<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg><clipPath id="c1"/><g clip-path="url(#c1)"><use href="#c1"/></g></svg>', 'x-'),
      '<svg><clipPath id="x-c1"/><g clip-path="url(#x-c1)"><use href="#x-c1"/></g></svg>',
    );
  });
});


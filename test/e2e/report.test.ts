/**
 * `mtl report` on small generated runs (two tasks on 240 synthetic rows, a few epochs on the cpu backend: one with
 * uncertainty weighting and sampled gradient conflicts, one with DWA and PCGrad) and a hand-made experiment directory
 * (experiment.json as `mtl run --ablate` writes it, over two of those runs). The report's tables are checked against the
 * runs' own files; then the page is opened in Debian's Chromium, driven by playwright-core: no console errors, marks
 * drawn in every chart, and a screenshot in test-output/report/ (skipped, saying why, when Chromium is absent).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { looksLikeUserError, mtl, repoRoot } from './cli.js';

const chromiumPath = '/usr/bin/chromium';
const screenshots = path.join(repoRoot, 'test-output/report');

/** 240 rows: three features, a binary label learnable from them, and a regression target. */
function writeData(file: string): void {
  let state = 11;
  const uniform = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const n = 240;
  const x1 = Float64Array.from({ length: n }, () => uniform() * 4 - 2);
  const x2 = Float64Array.from({ length: n }, () => uniform() * 4 - 2);
  const x3 = Float64Array.from({ length: n }, () => uniform() * 4 - 2);
  const positive = Array.from({ length: n }, (_, i) => x1[i]! + 0.5 * x2[i]! > 0);
  const level = Float64Array.from({ length: n }, (_, i) => x2[i]! - x3[i]! + 0.1 * uniform());
  fs.writeFileSync(file, tableToIPC(tableFromArrays({ x1, x2, x3, positive, level }), 'file'));
}

const program = (data: string, tasks: string, train: string) => `dataset rows {
  files: ${JSON.stringify(data)}
  columns: { x1: float, x2: float, x3: float, positive: bool, level: float }
  split: ratio(train: 0.6, valid: 0.2, test: 0.2, seed: 3)
}
features x { dataset: rows, transforms: [standardize(x1, x2, x3)] }
${tasks}
train { ${train}, epochs: 4, batch_size: 16, optimizer: adam(lr: 0.02), seed: 5 }
`;
const bothTasks = `task positive { features: x, target: positive, head: binary }
task level { features: x, target: level, head: regression }
share trunk = hard(backbone: mlp(units: [8]), tasks: [positive, level])`;

describe('mtl report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-report-'));
  const data = path.join(dir, 'rows.arrow');
  const exp = path.join(dir, 'exp');
  const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (name: string, source: string, out: string) => {
    const file = path.join(dir, `${name}.mtl`);
    fs.writeFileSync(file, source);
    const result = mtl(['run', file, '--out', out, '--backend', 'cpu', '--no-progress']);
    assert.equal(result.status, 0, result.stderr);
  };

  before(() => {
    writeData(data);
    run('uncertain', program(data, bothTasks, 'weighting: uncertainty(), conflicts_every: 2'), path.join(exp, 'shared'));
    run('single', program(data, 'task positive { features: x, target: positive, head: binary, backbone: mlp(units: [8]) }', 'conflicts_every: 0'), path.join(exp, 'single-positive'));
    run('pcgrad', program(data, bothTasks, 'weighting: dwa(), aggregation: pcgrad(), conflicts_every: 3'), path.join(dir, 'pcgrad'));
    fs.writeFileSync(path.join(exp, 'experiment.json'), JSON.stringify({
      kind: 'ablation',
      program: 'uncertain.mtl',
      variants: [
        { name: 'single:positive', dir: 'single-positive', seconds: 1.25, parameters: 41 },
        { name: 'shared', dir: 'shared', seconds: 2.5, parameters: 50 },
      ],
      table: { columns: ['variant', 'positive auc', 'Δ positive', 'Δp'], rows: [['single', 0.9512, null, null], ['shared', 0.9431, -0.0085, -0.85]] },
      acceptance: [
        { task: 'positive', variant: 'shared', baseline: 0.9512, value: 0.9431, drop: 0.0085, maxDrop: 0.01, pass: true },
        { task: 'level', variant: 'shared', baseline: 0.5, value: 0.52, drop: 0.04, maxDrop: 0.01, pass: false },
      ],
    }));
  });

  it('mtl run writes training-loss rows (one per epoch and task, in the job\'s order) and the graph', () => {
    const rows = fs.readFileSync(path.join(exp, 'shared/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const train = rows.filter((r) => r.kind === 'train');
    const tasks = readJson(path.join(exp, 'shared/job.json')).tasks.map((t: { name: string }) => t.name);
    assert.deepEqual(train.map((r) => `${r.epoch} ${r.task}`), [1, 2, 3, 4].flatMap((e) => tasks.map((t: string) => `${e} ${t}`)));
    for (const r of train) assert.ok(typeof r.loss === 'number' && r.loss > 0, JSON.stringify(r));
    assert.ok(fs.readFileSync(path.join(exp, 'shared/graph.dot'), 'utf8').startsWith('digraph "uncertain.mtl" {'));
  });

  describe('the report of two runs and an experiment', () => {
    const out = path.join(dir, 'out/report.html');
    let html = '';
    before(() => {
      const result = mtl(['report', path.join(dir, 'pcgrad'), exp, '-o', out], { cwd: dir });
      assert.equal(result.status, 0, result.stderr);
      html = fs.readFileSync(out, 'utf8');
      assert.match(result.stderr, /^wrote .*report\.html \(\d+ KB\) and 4 charts as SVG beside it\n$/);
    });

    it('is one file with no script and no external reference, and writes each chart as an SVG beside it', () => {
      assert.doesNotMatch(html, /<script|<link|src="http|@import/i);
      const charts = [...html.matchAll(/<figure class="chart" id="chart-([a-z-]+)"/g)].map((m) => m[1]);
      assert.deepEqual(charts, ['loss', 'metrics', 'conflicts', 'weights']);
      // The experts chart is left out: no run recorded expert utilisation, and no empty section says otherwise.
      assert.doesNotMatch(html, /Expert utilisation/);
      assert.deepEqual(fs.readdirSync(path.dirname(out)).sort(), ['report-conflicts.svg', 'report-loss.svg', 'report-metrics.svg', 'report-weights.svg', 'report.html']);
      assert.match(fs.readFileSync(path.join(path.dirname(out), 'report-loss.svg'), 'utf8'), /^<svg/);
    });

    it('names the runs side by side: the one given, then the experiment\'s variants', () => {
      for (const label of ['pcgrad', 'exp/single:positive', 'exp/shared']) assert.ok(html.includes(`<code>${label}</code>`), label);
      // The settings put the runs in columns and mark the rows where they differ.
      assert.match(html, /<tr class="differs"><th>training\.aggregation\.kind<\/th><td>pcgrad<\/td><td>sum<\/td><td>sum<\/td><\/tr>/);
      assert.match(html, /<tr><th>training\.batchSize<\/th><td>16<\/td><td>16<\/td><td>16<\/td><\/tr>/);
    });

    it('shows the ablation table, the acceptance results and the variants as experiment.json has them', () => {
      assert.ok(html.includes('<tr><td>shared</td><td>0.9431</td><td>-0.008500</td><td>-0.8500</td></tr>'), 'ablation row');
      assert.ok(html.includes('<tr><td>single</td><td>0.9512</td><td>–</td><td>–</td></tr>'), 'baseline row');
      assert.ok(html.includes('<td>positive</td><td>shared</td><td>0.9512</td><td>0.9431</td><td>0.008500</td><td>0.01000</td><td><span class="pass">pass</span></td>'));
      assert.ok(html.includes('<td>level</td><td>shared</td><td>0.5000</td><td>0.5200</td><td>0.04000</td><td>0.01000</td><td><span class="fail">fail</span></td>'));
      assert.ok(html.includes('<tr><td>single:positive</td><td><code>single-positive</code></td><td>1.250</td><td>41</td></tr>'));
    });

    it('lists each run\'s selected validation metrics, conflicts and last task weights from its summary.json', () => {
      const summary = readJson(path.join(exp, 'shared/summary.json'));
      const auc = (summary.valid.positive.auc as number).toPrecision(4);
      assert.ok(html.includes(`<tr><td>exp/shared</td><td>${summary.bestEpoch}</td><td>valid</td><td>positive</td><td>loss `), 'results row');
      assert.ok(html.includes(` · auc ${auc} · `), `auc ${auc}`);
      const c = summary.conflicts[0];
      assert.equal(c.samples, Math.floor(summary.steps / 2), 'every 2nd step sampled');
      assert.ok(html.includes(`<tr><td>exp/shared</td><td>${c.tasks[0]} × ${c.tasks[1]}</td><td>${c.samples}</td><td>${(c.meanCosine as number).toPrecision(4)}</td>`));
      const w = summary.taskWeights;
      assert.ok(html.includes(`<tr><td>exp/shared</td><td>uncertainty</td><td>4</td><td>level</td><td>${(w.weights.level as number).toPrecision(4)}</td><td>log_variance ${(w.learned.log_variance.level as number).toPrecision(4)}</td></tr>`));
      const dwa = readJson(path.join(dir, 'pcgrad/summary.json')).taskWeights;
      assert.ok(html.includes(`<tr><td>pcgrad</td><td>dwa</td><td>4</td><td>positive</td><td>${(dwa.weights.positive as number).toPrecision(4)}</td><td></td></tr>`));
    });

    it('draws each run\'s graph: the compiled program\'s when the run kept it', () => {
      assert.equal(html.match(/Drawn from the compiled program \(graph\.dot\)/g)?.length, 3);
      const graphviz = fs.existsSync('/usr/bin/dot');
      if (graphviz) assert.equal(html.match(/<div class="graph"><svg/g)?.length, 3);
      else assert.equal(html.match(/<pre>digraph/g)?.length, 3);
    });

    it('opens in headless Chromium with no console error, marks in every chart, and a screenshot', { skip: fs.existsSync(chromiumPath) ? false : `Chromium is not installed at ${chromiumPath} (apt-get install chromium; .ci/run installs it)` }, async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
        const requests: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        await page.goto(`file://${out}`, { waitUntil: 'load' });
        // The marks of each chart (lines, points, cells), not its axes, legends or titles.
        const marks = await page.$$eval('figure.chart', (figures) => figures.map((f) => [
          f.getAttribute('data-chart'),
          [...f.querySelectorAll('svg g.role-mark')].filter((g) => !g.closest('.role-axis, .role-legend, .role-title'))
            .reduce((n, g) => n + g.querySelectorAll('path, rect, circle, line').length, 0),
        ] as const));
        assert.deepEqual(marks.map(([chart]) => chart), ['loss', 'metrics', 'conflicts', 'weights']);
        for (const [chart, count] of marks) assert.ok(count > 0, `chart ${chart} has no marks`);
        // Each chart is drawn at a visible size.
        for (const box of await page.$$eval('figure.chart svg', (svgs) => svgs.map((s) => { const r = s.getBoundingClientRect(); return { width: r.width, height: r.height }; }))) {
          assert.ok(box.width > 100 && box.height > 50, JSON.stringify(box));
        }
        assert.deepEqual(errors, []);
        assert.deepEqual(requests, [`file://${out}`], 'the page loads nothing else');
        fs.mkdirSync(screenshots, { recursive: true });
        const shot = path.join(screenshots, 'report.png');
        await page.screenshot({ path: shot, fullPage: true });
        assert.ok(fs.statSync(shot).size > 10_000);
      } finally {
        await browser.close();
      }
    });
  });

  describe('says what is wrong with a directory it cannot read', () => {
    const fails = (args: string[], message: RegExp) => {
      const result = mtl(['report', ...args, '-o', path.join(dir, 'bad/report.html')], { cwd: dir });
      assert.equal(result.status, 1, result.stderr);
      assert.ok(looksLikeUserError(result.stderr), result.stderr);
      assert.match(result.stderr, message);
      assert.equal(fs.existsSync(path.join(dir, 'bad/report.html')), false, 'no report written');
    };

    it('a path that is not a directory, or a directory that holds no run', () => {
      fails(['missing'], /^error: missing is not a directory$/m);
      fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
      fails(['empty'], /^error: empty is neither a run directory \(it has no job\.json\) nor an experiment directory \(no experiment\.json\)$/m);
    });

    it('a metrics.jsonl line that is not a documented row: its file and line', () => {
      const broken = path.join(dir, 'broken');
      fs.cpSync(path.join(dir, 'pcgrad'), broken, { recursive: true });
      fs.appendFileSync(path.join(broken, 'metrics.jsonl'), '{"kind":"train","epoch":5,"task":"level"}\n');
      const line = fs.readFileSync(path.join(broken, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
      fails(['broken'], new RegExp(`^error: broken/metrics\\.jsonl:${line}: a 'train' row needs loss \\(a number\\), found nothing$`, 'm'));
    });

    it('an experiment.json that breaks the contract: the field, what it needs, what it has', () => {
      const bad = path.join(dir, 'bad-exp');
      fs.mkdirSync(bad, { recursive: true });
      const experiment = readJson(path.join(exp, 'experiment.json'));
      experiment.variants[1].seconds = 'fast';
      fs.writeFileSync(path.join(bad, 'experiment.json'), JSON.stringify(experiment));
      fails(['bad-exp'], /^error: bad-exp\/experiment\.json: \/variants\/1\/seconds expected number, found "fast"$/m);
    });
  });
});

/**
 * The span head beyond its hand-worked examples (heads/span.ts): logits at padded positions change neither its loss,
 * its gradient nor its decoding; and a compiled program trains it end to end on a synthetic Arrow file, where the span
 * is the run of tokens between two marker tokens.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Field, Int32, List, Table, Utf8, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow';
import { compileProgram } from '../../compiler/compile.js';
import { span } from '../../runtime/model/heads/span.js';
import type { HeadInfo } from '../../runtime/model/types.js';
import { assignByRatio, splitId } from '../../runtime/data/split.js';
import { evalRun, runJob } from '../../runtime/run.js';
import { exportModel } from '../../runtime/export/export.js';
import { loadModel } from '../../runtime/serving/load.js';
import { predictFile } from '../../runtime/serving/predict-file.js';
import { labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { uniformStream } from './helpers/fakeData.js';
import { task } from './helpers/jobs.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

const plan = task('answer', 'span', { units: 2, loss: 'ce' });
const HEAD: HeadInfo = { task: { ...plan, head: { ...plan.head, maxLength: 30 }, from: { input: 'x' } }, units: 2 };

/** Two rows of 3 positions (start, end, token); row 1's last position is padding, with `padded` as its two logits. */
const logitsWith = (padded: [number, number]) => [
  [1, 0, 1, 0, 2, 1, 0, -1, 1],
  [0.5, 0, 1, 0, 1, 1, padded[0], padded[1], 0],
];
const LABELS = { values: { data: Int32Array.from([0, 1, 1, 1]), shape: [2, 2] }, mask: Float32Array.from([1, 1]) };

/** The loss, its gradient with respect to the logits, and the decoded spans. */
function run(logits: number[][]) {
  return tf.tidy(() => {
    const x = tf.tensor2d(logits);
    const { value, grad } = tf.valueAndGrad((l: tf.Tensor) => taskLoss(HEAD, l as tf.Tensor2D, labelTensors(HEAD, LABELS, 2)))(x);
    return { loss: value.dataSync()[0]!, gradient: Array.from(grad.dataSync()), spans: Array.from(span.predictions(x, 2, HEAD.task.head).dataSync()) };
  });
}

describe('span head: padding', () => {
  before(useCpu);

  it('logits at a padded position change neither the loss, nor the gradient, nor the decoded spans', () => {
    const base = run(logitsWith([0, 0]));
    // Row 1 alone: start softmax([0.5, 0]) at 1, end softmax([0, 1]) at 1; row 0: start softmax([1, 0, 0]) at 0, end softmax([0, 2, −1]) at 1.
    const lse = (...z: number[]) => Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
    const row0 = (lse(1, 0, 0) - 1 + lse(0, 2, -1) - 2) / 2;
    const row1 = (lse(0.5, 0) - 0 + lse(0, 1) - 1) / 2;
    assertAllClose([base.loss], [(row0 + row1) / 2], 1e-6, 'loss');
    // Row 0: (0, 1) at 1 + 2; row 1: (0, 1) at 0.5 + 1 (the padding's (2, 2) would win with 50 + 50).
    assert.deepEqual(base.spans, [0, 1, 0, 1]);
    for (const padded of [[50, 50], [-1e6, 3], [1e30, -1e30]] as [number, number][]) {
      const other = run(logitsWith(padded));
      assert.equal(other.loss, base.loss, `loss with ${padded}`);
      assert.deepEqual(other.gradient, base.gradient, `gradient with ${padded}`);
      assert.deepEqual(other.spans, base.spans, `spans with ${padded}`);
    }
    // Nothing flows to the padded position's logits.
    assert.deepEqual(base.gradient.slice(15, 17), [0, 0]);
  });
});

/** Rows of 4 to 11 tokens: random words, and a span of 1 to 3 of them between the markers `<<` and `>>`. */
function markedRows(count: number, seed: number): { tokens: string[][]; spans: number[][] } {
  const uniform = uniformStream(seed);
  const pick = (n: number) => Math.floor(uniform() * n);
  const tokens: string[][] = [];
  const spans: number[][] = [];
  for (let r = 0; r < count; r++) {
    const length = 4 + pick(7);
    const width = 1 + pick(3);
    const start = 1 + pick(Math.max(1, length - width - 1));
    const end = start + width - 1;
    const row = Array.from({ length }, () => `w${pick(20)}`);
    row[start - 1] = '<<';
    if (end + 1 < length) row[end + 1] = '>>';
    else row.push('>>');
    tokens.push(row);
    spans.push([start, end]);
  }
  return { tokens, spans };
}

describe('span head: end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-span-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a BiLSTM learns the span between two markers: exact match ≥ 0.9 on the validation split', async () => {
    const { tokens, spans } = markedRows(240, 7);
    // And 10 rows of 15 tokens whose span [12, 13] ends past the 12 tokens kept: unlabelled, and counted.
    for (let r = 0; r < 10; r++) {
      tokens.push(Array.from({ length: 15 }, (_, j) => (j === 11 ? '<<' : j === 14 ? '>>' : `w${(r + j) % 20}`)));
      spans.push([12, 13]);
    }
    const data = join(dir, 'marked.arrow');
    const table = new Table({
      words: vectorFromArray(tokens, new List(new Field('item', new Utf8(), true))),
      answer: vectorFromArray(spans, new List(new Field('item', new Int32(), true))),
    });
    writeFileSync(data, tableToIPC(table, 'file'));
    const program = join(dir, 'marked.mtl');
    writeFileSync(program, `dataset marked {
  files: "marked.arrow"
  columns: { words: list(string), answer: list(int) }
  split: ratio(train: 0.8, valid: 0.2, test: 0, seed: 3)
}
features text { dataset: marked, transforms: [tokens(words, max_length: 12)] }
task answer { features: text, target: answer, head: span(max_length: 4), backbone: lstm(units: 8, embed_dim: 8, bidirectional: true) }
train { optimizer: adam(lr: 0.03), batch_size: 32, epochs: 3, seed: 5, select: best(metric: exact_match) }
`);
    const compiled = compileProgram({ file: program });
    assert.ok(compiled.job, compiled.diagnostics.map((d) => d.message).join('\n'));
    assert.deepEqual(compiled.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.message), []);
    const lines: string[] = [];
    const started = performance.now();
    // On wasm: 3 epochs of 6 steps take about 3.5 s of CPU (the cpu backend's LSTM takes twice that).
    const summary = await runJob(compiled.job, { out: join(dir, 'run'), backend: 'wasm', log: (line) => lines.push(line), progress: false });
    const seconds = (performance.now() - started) / 1000;
    const valid = summary.valid!.answer!;
    assert.ok(valid.exact_match! >= 0.9, `exact match ${valid.exact_match} after ${summary.epochs} epochs (${seconds.toFixed(1)} s)\n${lines.join('\n')}`);
    assert.ok(valid.token_f1! >= valid.exact_match!, 'token F1 is at least exact match');
    const cut = summary.cutSpans!.answer!;
    assert.ok(cut.cut > 0 && cut.cut % 3 === 0 && cut.rows % 3 === 0, `counted over 3 epochs: ${JSON.stringify(cut)}`);
    assert.ok(cut.cut / 3 <= 10 && cut.rows / 3 >= 190, `the training split's rows: ${JSON.stringify(cut)}`);
    assert.deepEqual(lines.filter((l) => l.startsWith('warning:')), [
      `warning: task answer: ${cut.cut} of ${cut.rows} training rows (${((100 * cut.cut) / cut.rows).toFixed(1)}%, over the epochs) have a span ending past the tokens kept by max_length: they were unlabelled; raise max_length of tokens to keep them`,
    ]);

    // `mtl eval --predictions` writes each row's start and end; they score as evaluation did, and the exported package
    // served (`mtl/serving`: predictRows, and `mtl predict`'s predictFile) predicts the same spans.
    const file = join(dir, 'valid-predictions.arrow');
    const scores = await evalRun(join(dir, 'run'), 'valid', { backend: 'wasm', log: () => {}, predictions: file });
    assert.equal(scores.answer!.exact_match, valid.exact_match);
    const written = tableFromIPC(readFileSync(file));
    const starts = Array.from(written.getChild('answer.start')!.toArray() as Float32Array);
    const ends = Array.from(written.getChild('answer.end')!.toArray() as Float32Array);
    const assigned = new Uint8Array(tokens.length);
    assignByRatio(compiled.job.datasets[0]!.split as Extract<typeof compiled.job.datasets[0]['split'], { kind: 'ratio' }>, 0, assigned);
    const rows = tokens.map((_, i) => i).filter((i) => assigned[i] === splitId('valid'));
    assert.equal(starts.length, rows.length);
    // Scored over the labelled rows: those whose span is within the 12 tokens kept.
    const labelled = rows.map((r, i) => [r, i] as const).filter(([r]) => spans[r]![1]! < 12);
    const exact = labelled.filter(([r, i]) => starts[i] === spans[r]![0] && ends[i] === spans[r]![1]).length / labelled.length;
    assertAllClose([exact], [valid.exact_match!], 1e-9, 'exact match of the written predictions');
    // `mtl export`: the package lists the two output columns.
    const manifest = await exportModel(join(dir, 'run'), join(dir, 'package'), { backend: 'wasm' });
    assert.deepEqual(manifest.tasks[0]!.outputs, [{ name: 'answer.start', type: 'float32' }, { name: 'answer.end', type: 'float32' }]);
    const served = await loadModel(join(dir, 'package'));
    const outputs = served.predictRows(rows.map((r) => ({ words: tokens[r] })));
    assert.deepEqual(outputs.map((o) => o.answer), rows.map((_, i) => ({ start: starts[i], end: ends[i] })));
    // `mtl predict` over the whole file: the validation rows' spans are those again.
    const predicted = join(dir, 'all-predictions.arrow');
    await predictFile(served, { input: data, output: predicted });
    const all = tableFromIPC(readFileSync(predicted));
    const [allStarts, allEnds] = ['answer.start', 'answer.end'].map((c) => all.getChild(c)!.toArray() as Float32Array);
    assert.deepEqual(rows.map((r) => [allStarts![r], allEnds![r]]), rows.map((_, i) => [starts[i], ends[i]]));
    served.dispose();
  });
});

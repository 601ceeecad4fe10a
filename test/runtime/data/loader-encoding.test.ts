/** Encoded values, checked against hand-computed numbers. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../../job/job.js';
import * as fs from 'node:fs/promises';
import { Field, FixedSizeList, Table, Uint8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { fittedMismatchProblems } from '../../../runtime/data/fitted-check.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { arrowTypes, collect, inputRows, makeJob, temporaryDirectory, writeArrow } from './fixtures.js';

const f = Math.fround;

describe('loader: encoding of vector inputs and scalar labels', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let job: Job;

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(path.join(tmp.dir, 'a.arrow'), {
      fold: { values: ['train', 'train', 'train', 'train', 'valid', 'test'], type: arrowTypes.string() },
      x: Float64Array.from([1, 2, 3, 4, 5, 6]),
      y: Float64Array.from([10, 20, 30, 40, 50, 60]),
      r: Int32Array.from([7, 8, 9, 10, 11, -12]),
      c: { values: ['b', 'a', 'b', null, 'a', 'z'], type: arrowTypes.string() },
      k: { values: ['dog', 'cat', 'dog', 'bird', 'cat', 'fish'], type: arrowTypes.plainString() },
      i: Int32Array.from([0, 2, 1, 0, 2, 1]),
      v: { values: [1.5, null, -2, 0, 4, 8], type: arrowTypes.float() },
    });
    job = makeJob({
      root: tmp.dir,
      files: ['a.arrow'],
      columns: [
        { name: 'fold', type: 'string' },
        { name: 'x', type: 'float' },
        { name: 'y', type: 'float' },
        { name: 'r', type: 'int' },
        { name: 'c', type: 'string' },
        { name: 'k', type: 'string' },
        { name: 'i', type: 'int' },
        { name: 'v', type: 'float' },
      ],
      split: { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' },
      features: [
        { id: 'x.std', column: 'x', transform: { kind: 'standardize' }, shape: [1] },
        { id: 'y.norm', column: 'y', transform: { kind: 'normalize' }, shape: [1] },
        { id: 'r.raw', column: 'r', transform: { kind: 'raw' }, shape: [1] },
        { id: 'c.onehot', column: 'c', transform: { kind: 'onehot', maxVocab: 10, minCount: 1 }, shape: [{ vocab: 'c.onehot' }] },
      ],
      input: { features: ['x.std', 'y.norm', 'r.raw', 'c.onehot'], kind: 'vector', shape: [{ sum: [3, { vocab: 'c.onehot' }] }] },
      tasks: [
        { name: 'pos', target: { op: '>', args: [{ col: 'x' }, { lit: 2 }] }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' } },
        { name: 'reg', target: { col: 'v' }, targetType: 'float', head: { kind: 'regression', units: 1, classes: 'index' } },
        { name: 'kind', target: { col: 'k' }, targetType: 'string', head: { kind: 'multiclass', units: { classes: 'kind' }, classes: 'vocab' } },
        { name: 'idx', target: { col: 'i' }, targetType: 'int', head: { kind: 'multiclass', units: 3, classes: 'index' } },
      ],
    });
  });
  after(() => tmp.remove());

  it('fits mean/std, min/max, vocabularies and classes on the training split only', async () => {
    const data = await openJobData(job);
    assert.deepEqual(data.fitted.features['x.std'], { mean: 2.5, std: Math.sqrt(1.25) });
    assert.deepEqual(data.fitted.features['y.norm'], { min: 10, max: 40 });
    assert.deepEqual(data.fitted.features['c.onehot'], { vocab: ['b', 'a'] }); // b twice, a once; the null is not a category
    assert.deepEqual(data.fitted.classes, { kind: ['bird', 'cat', 'dog'] });
    assert.deepEqual(data.fitted.rows, { d: { train: 4, valid: 1, test: 1 } });
    assert.equal(data.width(job.inputs[0]!.shape[0]!), 5);
    assert.equal(data.width({ classes: 'kind' }), 3);
  });

  it('encodes every split exactly', async () => {
    const data = await openJobData(job);
    const std = Math.sqrt(1.25);
    const train = await collect(data, 'train');
    assert.equal(train.length, 1);
    assert.deepEqual(train[0]!.inputs.x!.shape, [4, 5]);
    assert.deepEqual(inputRows(train, 'x'), [
      [f((1 - 2.5) / std), 0, 7, 1, 0],
      [f((2 - 2.5) / std), f(10 / 30), 8, 0, 1],
      [f((3 - 2.5) / std), f(20 / 30), 9, 1, 0],
      [f((4 - 2.5) / std), 1, 10, 0, 0], // null category: all zeros
    ]);
    const valid = await collect(data, 'valid');
    assert.deepEqual(inputRows(valid, 'x'), [[f((5 - 2.5) / std), f(40 / 30), 11, 0, 1]]);
    const test = await collect(data, 'test');
    assert.deepEqual(inputRows(test, 'x'), [[f((6 - 2.5) / std), f(50 / 30), -12, 0, 0]]); // unseen category: all zeros
  });

  it('encodes labels and masks', async () => {
    const data = await openJobData(job);
    const [train] = await collect(data, 'train');
    const labels = train!.labels;
    assert.deepEqual(Array.from(labels.pos!.values.data), [0, 0, 1, 1]);
    assert.deepEqual(Array.from(labels.pos!.mask), [1, 1, 1, 1]);
    assert.deepEqual(labels.pos!.values.shape, [4]);
    assert.deepEqual(Array.from(labels.reg!.values.data), [1.5, 0, -2, 0]);
    assert.deepEqual(Array.from(labels.reg!.mask), [1, 0, 1, 1]); // null target: masked
    assert.ok(labels.kind!.values.data instanceof Int32Array);
    assert.deepEqual(Array.from(labels.kind!.values.data), [2, 1, 2, 0]);
    assert.deepEqual(Array.from(labels.idx!.values.data), [0, 2, 1, 0]);
    const [test] = await collect(data, 'test');
    assert.deepEqual(Array.from(test!.labels.kind!.values.data), [0]);
    assert.deepEqual(Array.from(test!.labels.kind!.mask), [0]); // 'fish' never appeared in training
  });

  it('keeps the last partial batch', async () => {
    const data = await openJobData(job);
    const batches = await collect(data, 'train', { batchSize: 3 });
    assert.deepEqual(batches.map((b) => b.size), [3, 1]);
    assert.deepEqual(batches[1]!.inputs.x!.shape, [1, 5]);
    assert.equal(batches[1]!.inputs.x!.data.length, 5);
    assert.equal(batches[1]!.labels.pos!.mask.length, 1);
  });

  it('reuses fitted features given to it instead of fitting', async () => {
    const data = await openJobData(job);
    const fitted = structuredClone(data.fitted);
    fitted.features['x.std'] = { mean: 0, std: 2 };
    const reused = await openJobData(job, { fitted });
    assert.deepEqual(reused.fitted.features['x.std'], { mean: 0, std: 2 });
    const [valid] = await collect(reused, 'valid');
    assert.equal(valid!.inputs.x!.data[0], 2.5);
  });
});

describe('loader: token sequences and tagging', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let job: Job;

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(path.join(tmp.dir, 'ud.arrow'), {
      fold: { values: ['train', 'train', 'train', 'valid', 'test'], type: arrowTypes.string() },
      tokens: {
        values: [['The', 'cat', 'sat'], ['the', 'dog'], ['a', 'cat', 'ran', 'far'], ['The', 'bird', 'sat'], null],
        type: arrowTypes.listString(),
      },
      upos: { values: [['D', 'N', 'V'], ['D', 'N'], ['D', 'N', 'V', 'A'], ['D', 'X', 'V'], null], type: arrowTypes.listString() },
      head: { values: [[2, 3, 0], [2, 0], [2, 3, 0, 3], [2, 0, 5], null], type: arrowTypes.listInt() },
    });
    job = makeJob({
      root: tmp.dir,
      files: ['ud.arrow'],
      columns: [
        { name: 'fold', type: 'string' },
        { name: 'tokens', type: 'list<string>' },
        { name: 'upos', type: 'list<string>' },
        { name: 'head', type: 'list<int>' },
      ],
      split: { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' },
      features: [{ id: 'tok', column: 'tokens', transform: { kind: 'tokens', maxLength: 3, maxVocab: 4, minCount: 1, lowercase: true }, shape: [3] }],
      input: { features: ['tok'], kind: 'sequence', shape: [3] },
      tasks: [
        { name: 'upos', target: { col: 'upos' }, targetType: 'list<string>', head: { kind: 'tagging', units: { classes: 'upos' }, classes: 'vocab' } },
        { name: 'heads', target: { col: 'head' }, targetType: 'list<int>', head: { kind: 'tagging', units: { classes: 'heads' }, classes: 'index' } },
      ],
    });
  });
  after(() => tmp.remove());

  it('learns a capped, lowercased vocabulary with <pad> and <unk> first', async () => {
    const data = await openJobData(job);
    // counts: cat 2, the 2, then a, dog, far, ran, sat once each; cap 4 learned words
    assert.deepEqual(data.fitted.features.tok, { vocab: ['<pad>', '<unk>', 'cat', 'the', 'a', 'dog'] });
    assert.equal(data.width({ vocab: 'tok' }), 6);
    assert.deepEqual(data.fitted.classes.upos, ['A', 'D', 'N', 'V']);
    assert.deepEqual(data.fitted.classes.heads, ['0', '1', '2', '3']); // indices up to the largest seen
  });

  it('pads and truncates token ids and aligns tags with them', async () => {
    const data = await openJobData(job);
    const [train] = await collect(data, 'train');
    assert.ok(train!.inputs.x!.data instanceof Int32Array);
    assert.deepEqual(train!.inputs.x!.shape, [3, 3]);
    assert.deepEqual(inputRows([train!], 'x'), [
      [3, 2, 1],
      [3, 5, 0],
      [4, 2, 1],
    ]);
    const upos = train!.labels.upos!;
    assert.deepEqual(upos.values.shape, [3, 3]);
    assert.deepEqual(Array.from(upos.values.data), [1, 2, 3, 1, 2, 0, 1, 2, 3]);
    assert.deepEqual(Array.from(upos.mask), [1, 1, 1, 1, 1, 0, 1, 1, 1]);
    assert.deepEqual(Array.from(train!.labels.heads!.values.data), [2, 3, 0, 2, 0, 0, 2, 3, 0]);

    const [valid] = await collect(data, 'valid');
    assert.deepEqual(inputRows([valid!], 'x'), [[3, 1, 1]]);
    assert.deepEqual(Array.from(valid!.labels.upos!.values.data), [1, 0, 3]);
    assert.deepEqual(Array.from(valid!.labels.upos!.mask), [1, 0, 1]); // 'X' is not a training class
    // The class count of `heads` was learned (4): a larger index outside training is masked, not an error.
    assert.deepEqual(Array.from(valid!.labels.heads!.values.data), [2, 0, 0]);
    assert.deepEqual(Array.from(valid!.labels.heads!.mask), [1, 1, 0]);

    // A batch is cut to its longest sentence: one position is left of a batch whose one row has no tokens.
    const [test] = await collect(data, 'test');
    assert.deepEqual(inputRows([test!], 'x'), [[0]]);
    assert.deepEqual(Array.from(test!.labels.upos!.mask), [0]);
  });

  it('cuts each batch (ids, tags and their mask) to its longest sentence, and counts the padding of training batches', async () => {
    const data = await openJobData(job);
    const batches = await collect(data, 'train', { batchSize: 2 });
    assert.deepEqual(batches.map((b) => b.inputs.x!.shape), [[2, 3], [1, 3]]);
    const short = await openJobData({ ...job, features: job.features.map((f) => ({ ...f, transform: { ...f.transform, maxLength: 8 } as typeof f.transform, shape: [8] })), inputs: job.inputs.map((i) => ({ ...i, shape: [8] })) });
    const [first, second] = await collect(short, 'train', { batchSize: 2 });
    assert.deepEqual(inputRows([first!], 'x'), [[3, 2, 1], [3, 5, 0]]);
    assert.deepEqual(first!.labels.upos!.values.shape, [2, 3]);
    assert.deepEqual(Array.from(first!.labels.upos!.mask), [1, 1, 1, 1, 1, 0]);
    assert.deepEqual(inputRows([second!], 'x'), [[4, 2, 1, 1]]);
    assert.deepEqual(Array.from(second!.labels.upos!.values.data), [1, 2, 3, 0]);
    // 9 tokens in 10 positions
    assert.deepEqual(short.padding?.(), { tokens: 9, positions: 10 });
  });
});

describe('loader: images, multilabel targets, booleans and integer categories', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let job: Job;

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(path.join(tmp.dir, 'img.arrow'), {
      fold: { values: ['train', 'train', 'valid'], type: arrowTypes.string() },
      pixels: { values: [[0, 255, 51, 102], [255, 255, 0, 0], [153, 204, 0, 255]], type: arrowTypes.listFloat() },
      labels: { values: [[1, 0, 1], null, [0, 0, 1]], type: arrowTypes.listInt() },
      flag: { values: [true, false, true], type: arrowTypes.bool() },
      code: Int32Array.from([7, 3, 7]),
    });
    job = makeJob({
      root: tmp.dir,
      files: ['img.arrow'],
      columns: [
        { name: 'fold', type: 'string' },
        { name: 'pixels', type: 'list<float>' },
        { name: 'labels', type: 'list<int>' },
        { name: 'flag', type: 'bool' },
        { name: 'code', type: 'int' },
      ],
      split: { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' },
      features: [{ id: 'img', column: 'pixels', transform: { kind: 'image', shape: [2, 2, 1], scale: 1 / 255, mean: 0.5, std: 0.25 }, shape: [2, 2, 1] }],
      input: { features: ['img'], kind: 'image', shape: [2, 2, 1] },
      tasks: [{ name: 'tags', target: { col: 'labels' }, targetType: 'list<int>', head: { kind: 'multilabel', units: 3, classes: 'index' } }],
    });
  });
  after(() => tmp.remove());

  it('scales images and shapes them [n, ...shape]', async () => {
    const data = await openJobData(job);
    const [train] = await collect(data, 'train');
    assert.deepEqual(train!.inputs.x!.shape, [2, 2, 2, 1]);
    const pixel = (x: number) => f((x * (1 / 255) - 0.5) / 0.25);
    assert.deepEqual(Array.from(train!.inputs.x!.data), [0, 255, 51, 102, 255, 255, 0, 0].map(pixel));
  });

  it('standardizes each channel of an image of bytes by its mean and deviation over the training split', async () => {
    // Two training rows of a [1, 2, 2] image (channels last) as a fixed-size list of uint8; the valid row is not fitted.
    await fs.writeFile(path.join(tmp.dir, 'bytes.arrow'), tableToIPC(new Table({
      fold: vectorFromArray(['train', 'train', 'valid'], arrowTypes.string()),
      pixels: vectorFromArray([[0, 255, 51, 102], [255, 255, 0, 0], [153, 204, 0, 255]], new FixedSizeList(4, new Field('item', new Uint8(), false))),
    }), 'file'));
    const other = structuredClone(job);
    other.datasets[0]!.files = ['bytes.arrow'];
    other.datasets[0]!.columns = [{ name: 'fold', type: 'string' }, { name: 'pixels', type: 'list<float>' }];
    other.features[0]!.transform = { kind: 'image', shape: [1, 2, 2], scale: 1 / 255, mean: 0.5, std: 0.25, normalize: 'per_channel' };
    other.features[0]!.shape = [1, 2, 2];
    other.inputs[0]!.shape = [1, 2, 2];
    other.tasks = [];
    other.batchGroups[0]!.tasks = [];
    const data = await openJobData(other);
    // After (x/255 - 0.5)/0.25, channel 0 holds -2, -1.2, 2, -2 (mean -0.8, variance (1.44 + 0.16 + 7.84 + 1.44)/4 = 2.72)
    // and channel 1 holds 2, -0.4, 2, -2 (mean 0.4, variance (2.56 + 0.64 + 2.56 + 5.76)/4 = 2.88).
    const fitted = data.fitted.features.img!;
    assert.deepEqual(fitted.channelMean!.map((m) => Number(m.toFixed(12))), [-0.8, 0.4]);
    assert.deepEqual(fitted.channelStd!.map((s) => Number((s * s).toFixed(12))), [2.72, 2.88]);
    const pixel = (x: number, c: number) => ((x / 255 - 0.5) / 0.25 - [-0.8, 0.4][c]!) / Math.sqrt([2.72, 2.88][c]!);
    const assertEncoded = (found: number[][], rows: number[][]) => {
      assert.equal(found.length, rows.length);
      rows.forEach((r, i) => r.forEach((x, j) => assert.ok(Math.abs(found[i]![j]! - pixel(x, j % 2)) < 1e-6, `row ${i} value ${j}: ${found[i]![j]} is not ${pixel(x, j % 2)}`)));
    };
    assertEncoded(inputRows(await collect(data, 'train'), 'x'), [[0, 255, 51, 102], [255, 255, 0, 0]]);
    assertEncoded(inputRows(await collect(data, 'valid'), 'x'), [[153, 204, 0, 255]]);
    // A loaded features.json without the statistics is refused.
    assert.deepEqual(fittedMismatchProblems(other, { ...data.fitted, features: { img: {} } }), ['the fitted features have no channelMean/channelStd for feature img']);
  });

  it('encodes multilabel targets as [n, k] with a row mask', async () => {
    const data = await openJobData(job);
    const [train] = await collect(data, 'train');
    assert.deepEqual(train!.labels.tags!.values.shape, [2, 3]);
    assert.deepEqual(Array.from(train!.labels.tags!.values.data), [1, 0, 1, 0, 0, 0]);
    assert.deepEqual(Array.from(train!.labels.tags!.mask), [1, 0]);
  });

  it("encodes a dense head's target as a class per pixel, with -1, 255 and null pixels unlabelled", async () => {
    await writeArrow(path.join(tmp.dir, 'masks.arrow'), {
      fold: { values: ['train', 'train', 'valid'], type: arrowTypes.string() },
      pixels: { values: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], type: arrowTypes.listFloat() },
      mask: { values: [[0, 2, -1, 1], [255, null, 1, 0], null], type: arrowTypes.listInt() },
    });
    const dense = (file: string) => {
      const other = structuredClone(job);
      other.datasets[0]!.files = [file];
      other.datasets[0]!.columns = [{ name: 'fold', type: 'string' }, { name: 'pixels', type: 'list<float>' }, { name: 'mask', type: 'list<int>' }];
      other.tasks = [{ ...other.tasks[0]!, name: 'seg', target: { col: 'mask' }, head: { kind: 'dense', units: 3, classes: 'index' }, loss: 'ce', metrics: ['pixel_accuracy'] }];
      other.batchGroups[0]!.tasks = ['seg'];
      return other;
    };
    const data = await openJobData(dense('masks.arrow'));
    const [train] = await collect(data, 'train');
    assert.deepEqual(train!.labels.seg!.values.shape, [2, 4]);
    assert.deepEqual(Array.from(train!.labels.seg!.values.data), [0, 2, 0, 1, 0, 0, 1, 0]);
    assert.deepEqual(Array.from(train!.labels.seg!.mask), [1, 1, 0, 1, 0, 0, 1, 1]);
    // A null mask: the row has no labelled pixel.
    const [valid] = await collect(data, 'valid');
    assert.deepEqual(Array.from(valid!.labels.seg!.mask), [0, 0, 0, 0]);

    const file = path.join(tmp.dir, 'bad-masks.arrow');
    const refused = async (mask: (number | null)[], message: string) => {
      await writeArrow(file, {
        fold: { values: ['train', 'valid'], type: arrowTypes.string() },
        pixels: { values: [[0, 0, 0, 0], [0, 0, 0, 0]], type: arrowTypes.listFloat() },
        mask: { values: [mask, [0, 0, 0, 0]], type: arrowTypes.listInt() },
      });
      await assert.rejects(async () => collect(await openJobData(dense('bad-masks.arrow')), 'train'), { name: 'UserError', message });
    };
    await refused([0, 1, 2], `target of task seg has a list of 3 values, its dense head labels the 4 pixels of its input image, one class index each (column "mask", row 0 of ${file})`);
    await refused([0, 1, 3, 0], `target of task seg has value 3, a dense head with 3 classes holds class indices 0 to 2 per pixel, or -1 or 255 for an unlabelled one (at pixel 2) (column "mask", row 0 of ${file})`);
  });

  it('reads booleans as raw numbers and integer codes as categories', async () => {
    const other = structuredClone(job);
    other.features = [
      { id: 'flag.raw', dataset: 'd', column: 'flag', transform: { kind: 'raw' }, shape: [1] },
      { id: 'code.onehot', dataset: 'd', column: 'code', transform: { kind: 'onehot', maxVocab: 10, minCount: 1 }, shape: [{ vocab: 'code.onehot' }] },
    ];
    other.inputs = [{ id: 'x', dataset: 'd', features: ['flag.raw', 'code.onehot'], kind: 'vector', shape: [{ sum: [1, { vocab: 'code.onehot' }] }] }];
    other.tasks = [];
    const data = await openJobData(other);
    assert.deepEqual(data.fitted.features['code.onehot'], { vocab: ['3', '7'] });
    assert.deepEqual(inputRows(await collect(data, 'train'), 'x'), [
      [1, 0, 1],
      [0, 1, 0],
    ]);
  });

  it('rejects an image of the wrong size, naming file, column and row', async () => {
    const other = structuredClone(job);
    other.features[0]!.transform = { kind: 'image', shape: [3, 1, 1], scale: 1, mean: 0, std: 1 };
    other.features[0]!.shape = [3, 1, 1];
    other.inputs[0]!.shape = [3, 1, 1];
    await assert.rejects(openJobData(other), {
      name: 'UserError',
      message: `${path.join(tmp.dir, 'img.arrow')}: column "pixels" holds 4 values at row 0 (0-based); feature img needs exactly 3`,
    });
  });
});

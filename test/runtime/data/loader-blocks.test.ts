/**
 * Rows encoded a block at a time (`encodeRows`, one loop per column) against the same rows encoded one at a time
 * (`encode`): the stored rows must be equal value for value, and a block holding a row that `encode` refuses must be
 * refused (the loader then goes row by row and throws `encode`'s error, after the batches before that row).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../../job/job.js';
import type { Batch, FittedFeatures } from '../../../runtime/data/api.js';
import { createDatasetEncoding } from '../../../runtime/data/dataset-encoding.js';
import { datasetFiles, readDataset } from '../../../runtime/data/dataset-reader.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { RowStore } from '../../../runtime/data/row-layout.js';
import { splitMembers } from '../../../runtime/data/split.js';
import type { SplitName } from '../../../runtime/data/api.js';
import { arrowTypes, makeJob, temporaryDirectory, userErrorOf, writeArrow } from './fixtures.js';

const n = 40;
const folds = Array.from({ length: n }, (_, i) => (i % 5 === 4 ? 'valid' : i % 5 === 3 ? 'test' : 'train'));
const pick = <T>(values: readonly T[], i: number) => values[(i * 7 + 3) % values.length]!;

/** Every kind of column and target the block encoders read: floats, ints, float32, nulls, dictionaries, unseen categories. */
const goodColumns = {
  fold: { values: folds, type: arrowTypes.string() },
  x: Float64Array.from({ length: n }, (_, i) => i * 1.25 - 9),
  r: Int32Array.from({ length: n }, (_, i) => (i * 13) % 17),
  c: { values: Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : pick(['red', 'green', 'blue', 'teal'], i))), type: arrowTypes.string() },
  p: { values: Array.from({ length: n }, (_, i) => pick(['dog', 'cat', 'bird'], i)), type: arrowTypes.plainString() },
  y: { values: Array.from({ length: n }, (_, i) => (i % 6 === 0 ? null : i / 3)), type: arrowTypes.float() },
  k: Int32Array.from({ length: n }, (_, i) => i % 3),
  b: { values: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i % 2 === 0)), type: arrowTypes.bool() },
};

function blockJob(root: string, file: string): Job {
  return makeJob({
    root,
    files: [file],
    columns: [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
      { name: 'r', type: 'int' },
      { name: 'c', type: 'string' },
      { name: 'p', type: 'string' },
      { name: 'y', type: 'float' },
      { name: 'k', type: 'int' },
      { name: 'b', type: 'bool' },
    ],
    split: { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' },
    features: [
      { id: 'x.std', column: 'x', transform: { kind: 'standardize' }, shape: [1] },
      { id: 'r.norm', column: 'r', transform: { kind: 'normalize' }, shape: [1] },
      { id: 'x.raw', column: 'x', transform: { kind: 'raw' }, shape: [1] },
      { id: 'c.onehot', column: 'c', transform: { kind: 'onehot', maxVocab: 2, minCount: 1 }, shape: [{ vocab: 'c.onehot' }] },
      { id: 'p.onehot', column: 'p', transform: { kind: 'onehot', maxVocab: 10, minCount: 1 }, shape: [{ vocab: 'p.onehot' }] },
    ],
    input: { features: ['x.std', 'r.norm', 'x.raw', 'c.onehot', 'p.onehot'], kind: 'vector', shape: [{ sum: [3, { vocab: 'c.onehot' }, { vocab: 'p.onehot' }] }] },
    tasks: [
      { name: 'is_red', target: { op: '==', args: [{ col: 'c' }, { lit: 'red' }] }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' } },
      { name: 'warm', target: { op: 'in', args: [{ col: 'c' }, [{ lit: 'red' }, { lit: 'teal' }]] }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' } },
      { name: 'pet', target: { col: 'p' }, targetType: 'string', head: { kind: 'multiclass', units: { classes: 'pet' }, classes: 'vocab' } },
      { name: 'third', target: { col: 'k' }, targetType: 'int', head: { kind: 'multiclass', units: 3, classes: 'index' } },
      { name: 'level', target: { col: 'y' }, targetType: 'float', head: { kind: 'regression', units: 1, classes: 'index' } },
      { name: 'far', target: { op: '>', args: [{ col: 'x' }, { col: 'y' }] }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' } },
      { name: 'flag', target: { col: 'b' }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' } },
      { name: 'scarce', target: { op: '!=', args: [{ col: 'p' }, { lit: 'cat' }] }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' }, trainLabels: { fraction: 0.5, seed: 3 } },
    ],
  });
}

/** Each chunk's rows of `split`, encoded both ways; the block way's verdict and, where it encoded, both stores. */
async function encodeBothWays(job: Job, fitted: FittedFeatures, split: SplitName) {
  const plan = job.datasets[0]!;
  const encoding = createDatasetEncoding(job, fitted, plan, new Map(), split);
  assert.ok(encoding.encoders.every((e) => e.encodeRows !== undefined), 'every encoder of this job encodes blocks');
  const results: { accepted: boolean; blocks: RowStore; rowByRow: RowStore; rows: number[] }[] = [];
  const members = splitMembers(split);
  for await (const chunk of readDataset(plan, datasetFiles(job, plan))) {
    for (const encoder of encoding.encoders) encoder.bind(chunk);
    const rows = Int32Array.from(Array.from({ length: chunk.length }, (_, i) => i).filter((i) => members[chunk.split[i]!] === 1));
    const blocks = new RowStore(rows.length, encoding.layout);
    const rowByRow = new RowStore(rows.length, encoding.layout);
    // Filled with a marker, so a value the block way forgets to write shows.
    blocks.floats.fill(-777);
    blocks.ints.fill(-777);
    const accepted = encoding.encoders.every((e) => e.encodeRows!(rows, rows.length, blocks));
    if (accepted) {
      rows.forEach((row, k) => {
        for (const encoder of encoding.encoders) encoder.encode(row, rowByRow.floats, k * encoding.layout.floats, rowByRow.ints, k * encoding.layout.ints);
      });
    }
    results.push({ accepted, blocks, rowByRow, rows: [...rows] });
  }
  return results;
}

describe('loader: rows encoded a block at a time', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let job: Job;
  let fitted: FittedFeatures;

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(path.join(tmp.dir, 'good.arrow'), goodColumns);
    job = blockJob(tmp.dir, 'good.arrow');
    fitted = (await openJobData(job)).fitted;
  });
  after(() => tmp.remove());

  it("replays a split's kept rows after a pass that kept them, shuffled or not: the batches a fresh stream of the file gives", async () => {
    const shuffled: Job = { ...job, training: { ...job.training, shuffleBuffer: 7 } };
    const options = (epoch: number) => ({ batchSize: 5, shuffle: true, seed: 3, epoch, keep: true });
    const batchesOf = async (stream: AsyncIterable<Batch>) => {
      const batches = [];
      for await (const b of stream) batches.push(b);
      return batches.map((b) => ({ size: b.size, inputs: Object.values(b.inputs).map((t) => Array.from(t.data)), labels: Object.values(b.labels).map((l) => [Array.from(l.values.data), Array.from(l.mask)]) }));
    };
    const epochOf = async (data: Awaited<ReturnType<typeof openJobData>>, epoch: number) => {
      const batches = [];
      for await (const b of data.batches('d', 'train', options(epoch))) batches.push(b);
      return batches.map((b) => ({ size: b.size, inputs: Object.values(b.inputs).map((t) => Array.from(t.data)), labels: Object.values(b.labels).map((l) => [Array.from(l.values.data), Array.from(l.mask)]) }));
    };
    const kept = await openJobData(shuffled, { fitted });
    const first = await epochOf(kept, 0);
    const inOrder = { batchSize: 4, shuffle: false, seed: 0, keep: true };
    const validFirst = await batchesOf(kept.batches('d', 'valid', inOrder));
    // The file gone, later epochs come from the kept rows alone.
    await fs.rename(path.join(tmp.dir, 'good.arrow'), path.join(tmp.dir, 'moved.arrow'));
    try {
      const later = [await epochOf(kept, 1), await epochOf(kept, 2)];
      const validLater = await batchesOf(kept.batches('d', 'valid', inOrder));
      await fs.rename(path.join(tmp.dir, 'moved.arrow'), path.join(tmp.dir, 'good.arrow'));
      // The reference passes keep nothing: their rows wait in the shuffle buffer itself, not numbered in a kept store.
      for (const [epoch, batches] of [first, ...later].entries()) {
        const fresh = (await openJobData(shuffled, { fitted })).batches('d', 'train', { ...options(epoch), keep: false });
        assert.deepEqual(batches, await batchesOf(fresh), `epoch ${epoch}`);
      }
      assert.notDeepEqual(later[0], first, 'each epoch draws its own order');
      assert.deepEqual(validLater, validFirst, 'the unshuffled split, replayed in file order');
      assert.deepEqual(validFirst, await batchesOf((await openJobData(shuffled, { fitted })).batches('d', 'valid', { ...inOrder, keep: false })));
      assert.equal(first.reduce((sum, b) => sum + b.size, 0), fitted.rows['d']!.train);
    } finally {
      await fs.rename(path.join(tmp.dir, 'moved.arrow'), path.join(tmp.dir, 'good.arrow')).catch(() => undefined);
    }
  });

  for (const [name, rowsSaid] of [
    ['more rows than fitting counted: the pass hands over to a shuffle buffer midway', 30],
    ['fewer rows than fitting counted', 60],
  ] as const) {
    it(`keeps nothing when a split has ${name}, with the batches of a pass that keeps nothing`, async () => {
      // Two files of 24 training rows each: with 30 said, the second file's block no longer fits the kept store.
      const twoFiles: Job = { ...job, datasets: job.datasets.map((d) => ({ ...d, files: ['good.arrow', 'copy.arrow'] })), training: { ...job.training, shuffleBuffer: 7 } };
      await fs.copyFile(path.join(tmp.dir, 'good.arrow'), path.join(tmp.dir, 'copy.arrow'));
      const counted = (await openJobData(twoFiles)).fitted;
      assert.equal(counted.rows['d']!.train, 48);
      const miscounted: FittedFeatures = { ...counted, rows: { d: { ...counted.rows['d']!, train: rowsSaid } } };
      const sizes = async (stream: AsyncIterable<Batch>) => {
        const batches = [];
        for await (const b of stream) batches.push({ size: b.size, inputs: Object.values(b.inputs).map((t) => Array.from(t.data)), labels: Object.values(b.labels).map((l) => [Array.from(l.values.data), Array.from(l.mask)]) });
        return batches;
      };
      for (const options of [{ batchSize: 5, shuffle: true, seed: 3, epoch: 0 }, { batchSize: 4, shuffle: false, seed: 0 }]) {
        const data = await openJobData(twoFiles, { fitted: miscounted });
        const keeping = await sizes(data.batches('d', 'train', { ...options, keep: true }));
        assert.deepEqual(keeping, await sizes((await openJobData(twoFiles, { fitted: miscounted })).batches('d', 'train', options)), `shuffle: ${options.shuffle}`);
        assert.equal(keeping.reduce((sum, b) => sum + b.size, 0), 48);
        // Nothing was kept: the next pass reads the files again.
        await fs.rename(path.join(tmp.dir, 'copy.arrow'), path.join(tmp.dir, 'moved.arrow'));
        try {
          assert.match(await userErrorOf(sizes(data.batches('d', 'train', { ...options, keep: true }))), /copy\.arrow does not exist/);
        } finally {
          await fs.rename(path.join(tmp.dir, 'moved.arrow'), path.join(tmp.dir, 'copy.arrow'));
        }
      }
    });
  }

  for (const split of ['train', 'valid', 'test'] as const) {
    it(`stores exactly what row-by-row encoding stores (${split} split)`, async () => {
      const [only] = await encodeBothWays(job, fitted, split);
      assert.ok(only!.accepted);
      assert.ok(only!.rows.length > 0);
      assert.deepEqual(only!.blocks.floats, only!.rowByRow.floats);
      assert.deepEqual(only!.blocks.ints, only!.rowByRow.ints);
    });
  }

  it('stores the values worked out by hand for the first training rows (0, 1 and 2 of the file)', async () => {
    const [only] = await encodeBothWays(job, fitted, 'train');
    const { floats, ints } = createDatasetEncoding(job, fitted, job.datasets[0]!, new Map(), 'train').layout;
    const row = (k: number) => ({
      floats: Array.from(only!.blocks.floats.subarray(k * floats, (k + 1) * floats)),
      ints: Array.from(only!.blocks.ints.subarray(k * ints, (k + 1) * ints)),
    });
    const x = fitted.features['x.std']!;
    const r = fitted.features['r.norm']!;
    // Float area: x.std, r.norm, x.raw, then (value, mask) of is_red and warm, pet's mask, third's mask, (value, mask) of
    // level, far, flag and scarce. Int area: the ids of c.onehot and p.onehot, then pet's and third's classes.
    assert.deepEqual(row(0).floats.slice(0, 3), [Math.fround((-9 - x.mean!) / x.std!), Math.fround((0 - r.min!) / (r.max! - r.min!)), -9]);
    // Row 0: c is null, so no one-hot id and nothing labelled by a target over c; y is null, so level and far neither.
    assert.equal(row(0).ints[0], -1);
    assert.deepEqual(row(0).floats.slice(3, 7), [0, 0, 0, 0]);
    assert.deepEqual(row(0).floats.slice(9, 13), [0, 0, 0, 0]);
    // Row 0: b is null (0 % 7), k = 0, p = pets[3 % 3] = "dog".
    assert.deepEqual(row(0).floats.slice(13, 15), [0, 0]);
    assert.deepEqual(row(0).ints.slice(2, 4), [fitted.classes['pet']!.indexOf('dog'), 0]);
    // Row 1: c = colors[10 % 4] = "blue": neither red nor warm, both labelled; y = 1/3 < x = -7.75 is false; b = false.
    assert.deepEqual(row(1).floats.slice(3, 7), [0, 1, 0, 1]);
    assert.deepEqual(row(1).floats.slice(9, 15), [Math.fround(1 / 3), 1, 0, 1, 0, 1]);
    // Row 2: c = colors[17 % 4] = "green", p = pets[17 % 3] = "bird"; b = true.
    assert.deepEqual(row(2).ints.slice(0, 2), [fitted.features['c.onehot']!.vocab!.indexOf('green'), fitted.features['p.onehot']!.vocab!.indexOf('bird')]);
    assert.deepEqual(row(2).floats.slice(13, 15), [1, 1]);
  });

  for (const [name, column, message] of [
    ['a null standardized number', { x: { values: Array.from({ length: n }, (_, i) => (i === 21 ? null : i * 1.25 - 9)), type: arrowTypes.float() } }, (file: string) => `${file}: column "x" is null at row 21 (0-based); feature x.std needs a finite number in every row`],
    ['a NaN standardized number', { x: Float64Array.from({ length: n }, (_, i) => (i === 22 ? NaN : i * 1.25 - 9)) }, (file: string) => `${file}: column "x" holds NaN at row 22 (0-based); feature x.std needs a finite number in every row`],
    ['a string binary target', { b: { values: Array.from({ length: n }, (_, i) => (i === 20 ? 'yes' : null)), type: arrowTypes.string() } }, (file: string) => `target of task flag has value "yes", a binary head holds 0 or 1 (column "b", row 20 of ${file})`],
    ['a class index past the head', { k: Int32Array.from({ length: n }, (_, i) => (i === 25 ? 5 : i % 3)) }, (file: string) => `target of task third has value 5, a multiclass head with 3 classes holds class indices 0 to 2 (column "k", row 25 of ${file})`],
  ] as const) {
    it(`refuses a block holding ${name}; the row-by-row error names it, after the batches before it`, async () => {
      const file = `bad-${name.replaceAll(' ', '-')}.arrow`;
      await writeArrow(path.join(tmp.dir, file), { ...goodColumns, ...column });
      const bad = blockJob(tmp.dir, file);
      // A string column where the good file has a bool one: the job says so, so that the file passes the schema check.
      const badJob: Job = 'b' in column ? { ...bad, datasets: bad.datasets.map((d) => ({ ...d, columns: d.columns.map((c) => (c.name === 'b' ? { ...c, type: 'string' as const } : c)) })) } : bad;
      const [only] = await encodeBothWays(badJob, fitted, 'train');
      assert.equal(only!.accepted, false);
      // Kept or not: a kept pass encodes the block's rows straight into the kept store, one at a time after the refusal.
      for (const keep of [false, true]) {
        const data = await openJobData(badJob, { fitted });
        const seen: number[] = [];
        const error = await userErrorOf((async () => {
          for await (const batch of data.batches('d', 'train', { batchSize: 4, shuffle: false, seed: 0, keep })) seen.push(batch.size);
        })());
        assert.equal(error, message(path.join(tmp.dir, file)));
        // Training rows are 3 of every 5; the bad row (20 to 25) is the 13th to 16th: three whole batches of 4 come first.
        assert.deepEqual(seen, [4, 4, 4], `keep: ${keep}`);
      }
    });
  }
});

/** Splits and shuffling: deterministic, in the right proportions, independent of batch size and file sharding. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job, SplitPlan } from '../../../job/job.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { arrowTypes, collect, inputColumn, makeJob, temporaryDirectory, writeArrow, writeArrowInBatches } from './fixtures.js';

const ROWS = 10_000;

function idJob(root: string, files: string[], split: SplitPlan, shuffleBuffer = 64): Job {
  return makeJob({
    root,
    files,
    columns: [{ name: 'id', type: 'float' }],
    split,
    features: [{ id: 'id.raw', column: 'id', transform: { kind: 'raw' }, shape: [1] }],
    input: { features: ['id.raw'], kind: 'vector', shape: [1] },
    tasks: [{ name: 't', target: { op: '>=', args: [{ col: 'id' }, { lit: 2 }] }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' } }],
    shuffleBuffer,
  });
}

const ratio = (seed: number): SplitPlan => ({ kind: 'ratio', train: 0.7, valid: 0.2, test: 0.1, seed });

async function ids(job: Job, split: 'train' | 'valid' | 'test', options: Parameters<typeof collect>[2] = {}): Promise<number[]> {
  return inputColumn(await collect(await openJobData(job), split, options), 'x', 0);
}

describe('loader: splits', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const all = Float64Array.from({ length: ROWS }, (_, i) => i);

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrowInBatches(path.join(tmp.dir, 'one.arrow'), { id: all }, 4096);
    // The same rows sharded into three files of uneven sizes, with other record-batch sizes.
    await writeArrowInBatches(path.join(tmp.dir, 'part-0.arrow'), { id: all.slice(0, 1234) }, 1000);
    await writeArrowInBatches(path.join(tmp.dir, 'part-1.arrow'), { id: all.slice(1234, 7000) }, 333);
    await writeArrowInBatches(path.join(tmp.dir, 'part-2.arrow'), { id: all.slice(7000) }, 5000);
  });
  after(() => tmp.remove());

  it('splits by ratio in about the right proportions, every row in exactly one split', async () => {
    const job = idJob(tmp.dir, ['one.arrow'], ratio(42));
    const data = await openJobData(job);
    const { train, valid, test } = data.fitted.rows.d!;
    assert.equal(train + valid + test, ROWS);
    // Binomial standard deviations are 46, 40 and 30 rows: allow four of them.
    assert.ok(Math.abs(train - 7000) < 184, `train ${train}`);
    assert.ok(Math.abs(valid - 2000) < 160, `valid ${valid}`);
    assert.ok(Math.abs(test - 1000) < 120, `test ${test}`);
    const seen = [...(await ids(job, 'train')), ...(await ids(job, 'valid')), ...(await ids(job, 'test'))].sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from(all));
  });

  it('gives the same split for the same seed, whatever the batch size or sharding', async () => {
    const reference = await ids(idJob(tmp.dir, ['one.arrow'], ratio(42)), 'valid', { batchSize: 1000 });
    assert.deepEqual(await ids(idJob(tmp.dir, ['one.arrow'], ratio(42)), 'valid', { batchSize: 7 }), reference);
    const sharded = idJob(tmp.dir, ['part-0.arrow', 'part-1.arrow', 'part-2.arrow'], ratio(42));
    assert.deepEqual(await ids(sharded, 'valid', { batchSize: 64 }), reference);
    assert.deepEqual((await openJobData(sharded)).fitted.rows, (await openJobData(idJob(tmp.dir, ['one.arrow'], ratio(42)))).fitted.rows);
  });

  it('gives a different split for another seed', async () => {
    const a = await ids(idJob(tmp.dir, ['one.arrow'], ratio(42)), 'valid');
    const b = await ids(idJob(tmp.dir, ['one.arrow'], ratio(43)), 'valid');
    const overlap = a.filter((id) => new Set(b).has(id)).length;
    // Independent 20% samples share about 20% of their rows.
    assert.ok(overlap < 0.3 * a.length, `overlap ${overlap} of ${a.length}`);
  });

  it('splits by files: a file in valid and test is in both, a file in no split in none', async () => {
    const job = idJob(tmp.dir, ['part-0.arrow', 'part-1.arrow', 'part-2.arrow'], { kind: 'files', train: ['part-0.arrow'], valid: ['part-1.arrow'], test: ['part-1.arrow'] });
    const data = await openJobData(job);
    assert.deepEqual(data.fitted.rows.d, { train: 1234, valid: 7000 - 1234, test: 7000 - 1234 });
    assert.deepEqual(await ids(job, 'train'), Array.from(all.slice(0, 1234)));
    assert.deepEqual(await ids(job, 'valid'), Array.from(all.slice(1234, 7000)));
    assert.deepEqual(await ids(job, 'test'), Array.from(all.slice(1234, 7000)));
  });

  it('reads several files in order', async () => {
    const job = idJob(tmp.dir, ['part-0.arrow', 'part-1.arrow', 'part-2.arrow'], ratio(1));
    const data = await openJobData(job);
    const train = inputColumn(await collect(data, 'train'), 'x', 0);
    assert.deepEqual(train, [...train].sort((a, b) => a - b)); // unshuffled: file order
    assert.ok(train.some((id) => id < 1234) && train.some((id) => id >= 1234 && id < 7000) && train.some((id) => id >= 7000));
  });

  it('splits by the value of a column, leaving out rows that name no split', async () => {
    await writeArrow(path.join(tmp.dir, 'folds.arrow'), {
      id: Float64Array.from([0, 1, 2, 3, 4, 5]),
      fold: { values: ['a', 'b', 'c', 'a', null, 'other'], type: arrowTypes.plainString() },
    });
    const job = makeJob({
      ...idJobParts(tmp.dir),
      files: ['folds.arrow'],
      columns: [
        { name: 'id', type: 'float' },
        { name: 'fold', type: 'string' },
      ],
      split: { kind: 'column', column: 'fold', train: 'a', valid: 'b', test: 'c' },
    });
    const data = await openJobData(job);
    assert.deepEqual(data.fitted.rows.d, { train: 2, valid: 1, test: 1 });
    assert.deepEqual(inputColumn(await collect(data, 'train'), 'x', 0), [0, 3]);
    assert.deepEqual(inputColumn(await collect(data, 'test'), 'x', 0), [2]);
  });
});

function idJobParts(root: string) {
  const job = idJob(root, [], ratio(0));
  return {
    root,
    files: [],
    columns: job.datasets[0]!.columns,
    split: job.datasets[0]!.split,
    features: job.features,
    input: job.inputs[0]!,
    tasks: job.tasks,
  };
}

describe('loader: shuffling', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let job: Job;

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrowInBatches(path.join(tmp.dir, 'ids.arrow'), { id: Float64Array.from({ length: 3000 }, (_, i) => i) }, 700);
    job = idJob(tmp.dir, ['ids.arrow'], { kind: 'ratio', train: 0.9, valid: 0.1, test: 0, seed: 5 }, 256);
  });
  after(() => tmp.remove());

  it('is deterministic for a seed and epoch, and differs between epochs', async () => {
    const ordered = await ids(job, 'train');
    const first = await ids(job, 'train', { shuffle: true, seed: 9, epoch: 0, batchSize: 32 });
    assert.deepEqual(await ids(job, 'train', { shuffle: true, seed: 9, epoch: 0, batchSize: 32 }), first);
    const nextEpoch = await ids(job, 'train', { shuffle: true, seed: 9, epoch: 1, batchSize: 32 });
    const otherSeed = await ids(job, 'train', { shuffle: true, seed: 10, epoch: 0, batchSize: 32 });
    assert.notDeepEqual(nextEpoch, first);
    assert.notDeepEqual(otherSeed, first);
    assert.notDeepEqual(first, ordered);
    // A permutation of the split: every training row exactly once.
    assert.deepEqual([...first].sort((a, b) => a - b), ordered);
    assert.deepEqual([...nextEpoch].sort((a, b) => a - b), ordered);
  });

  it('emits rows in the same order whatever the batch size, keeping the last partial batch', async () => {
    const data = await openJobData(job);
    const small = await collect(data, 'train', { shuffle: true, seed: 3, batchSize: 25 });
    const large = await collect(data, 'train', { shuffle: true, seed: 3, batchSize: 1000 });
    const rows = data.fitted.rows.d!.train;
    assert.deepEqual(small.map((b) => b.size), [...Array(Math.floor(rows / 25)).fill(25), ...(rows % 25 ? [rows % 25] : [])]);
    assert.deepEqual(inputColumn(small, 'x', 0), inputColumn(large, 'x', 0));
  });

  it('is a buffer shuffle: no row leaves before a full buffer of rows after it has come in', async () => {
    const ordered = await ids(job, 'train');
    const rank = new Map(ordered.map((id, i) => [id, i]));
    const shuffled = await ids(job, 'train', { shuffle: true, seed: 9, batchSize: 64 });
    // The k-th row out leaves when the (k + 256)-th row comes in, so its rank is at most k + 255.
    const earliest = Math.max(...shuffled.map((id, k) => rank.get(id)! - k));
    assert.ok(earliest <= 255, `a row came out ${earliest} places early`);
    assert.ok(earliest > 200, `rows moved at most ${earliest} places: the buffer is not used`);
  });
});

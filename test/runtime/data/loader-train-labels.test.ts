/** A task's `trainLabels` (derived scarcity variants): exactly the rows its seeded hash keeps are labelled, in training alone. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../../job/job.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { keepsTrainLabel } from '../../../runtime/data/train-labels.js';
import { collect, inputColumn, makeJob, temporaryDirectory, writeArrowInBatches } from './fixtures.js';

const ROWS = 2000;

function job(root: string, files: string[], fraction: number | null): Job {
  const made = makeJob({
    root, files,
    columns: [{ name: 'id', type: 'float' }],
    split: { kind: 'ratio', train: 0.8, valid: 0.1, test: 0.1, seed: 5 },
    features: [{ id: 'id.raw', column: 'id', transform: { kind: 'raw' }, shape: [1] }],
    input: { features: ['id.raw'], kind: 'vector', shape: [1] },
    tasks: [{ name: 't', target: { op: '>=', args: [{ col: 'id' }, { lit: 1000 }] }, targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' } }],
    shuffleBuffer: 64,
  });
  if (fraction !== null) made.tasks[0]!.trainLabels = { fraction, seed: 7 };
  return made;
}

/** Each row's id with its mask for task t, in stream order. */
async function masks(j: Job, split: 'train' | 'valid' | 'test', shuffle = true): Promise<Map<number, number>> {
  const batches = await collect(await openJobData(j), split, { shuffle, batchSize: 37, seed: 3 });
  const ids = inputColumn(batches, 'x', 0);
  const mask = batches.flatMap((b) => Array.from(b.labels.t!.mask));
  return new Map(ids.map((id, i) => [id, mask[i]!]));
}

describe('loader: training labels kept by a task (scarcity)', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  before(async () => {
    tmp = await temporaryDirectory();
    const all = Float64Array.from({ length: ROWS }, (_, i) => i);
    await writeArrowInBatches(path.join(tmp.dir, 'one.arrow'), { id: all }, 512);
    await writeArrowInBatches(path.join(tmp.dir, 'a.arrow'), { id: all.slice(0, 777) }, 100);
    await writeArrowInBatches(path.join(tmp.dir, 'b.arrow'), { id: all.slice(777) }, 300);
  });
  after(() => tmp.remove());

  it('masks exactly the training rows whose hash of (seed, task, row) is not kept, whatever the shuffle or sharding', async () => {
    const got = await masks(job(tmp.dir, ['one.arrow'], 0.25), 'train');
    const expected = new Map([...got.keys()].map((id) => [id, keepsTrainLabel({ fraction: 0.25, seed: 7 }, 't', id) ? 1 : 0]));
    assert.deepEqual(got, expected);
    const kept = [...got.values()].filter((m) => m === 1).length;
    // About a quarter of ~1600 training rows (binomial sd ≈ 17): allow four sd.
    assert.ok(Math.abs(kept - 0.25 * got.size) < 70, `${kept} of ${got.size} kept`);
    assert.deepEqual(await masks(job(tmp.dir, ['a.arrow', 'b.arrow'], 0.25), 'train', false), got);
  });

  it('keeps the rows of a smaller fraction within those of a larger one (one hash, thresholds)', () => {
    for (let i = 0; i < 500; i++) {
      if (keepsTrainLabel({ fraction: 0.1, seed: 7 }, 't', i)) assert.ok(keepsTrainLabel({ fraction: 0.5, seed: 7 }, 't', i), `row ${i}`);
    }
  });

  it('leaves the validation and test rows labelled, and every row without it', async () => {
    for (const split of ['valid', 'test'] as const) {
      assert.deepEqual(await masks(job(tmp.dir, ['one.arrow'], 0.25), split), await masks(job(tmp.dir, ['one.arrow'], null), split));
    }
    assert.ok([...(await masks(job(tmp.dir, ['one.arrow'], null), 'train')).values()].every((m) => m === 1));
  });
});

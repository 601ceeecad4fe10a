/** keepingSplit (runtime/data/kept-split.ts): the validation batches read once, replayed after; past the cap, streamed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Batch, BatchOptions, JobData, SplitName } from '../../../runtime/data/api.js';
import { keepingSplit } from '../../../runtime/data/kept-split.js';

/** A source of three batches of 2 rows (16 + 8 + 8 bytes each) that counts the passes it streams. */
function source(): { data: JobData; passes: Record<string, number> } {
  const passes: Record<string, number> = {};
  const batch = (i: number): Batch => ({
    dataset: 'd',
    size: 2,
    inputs: { x: { data: Float32Array.from([i, i, i, i]), shape: [2, 2] } },
    labels: { t: { values: { data: Float32Array.from([i, -i]), shape: [2] }, mask: Float32Array.from([1, 1]) } },
  });
  const data = {
    job: {} as JobData['job'],
    fitted: {} as JobData['fitted'],
    width: () => 0,
    async *batches(_dataset: string, split: SplitName, options: BatchOptions) {
      const key = `${split}${options.shuffle ? ' shuffled' : ''}`;
      passes[key] = (passes[key] ?? 0) + 1;
      for (let i = 0; i < 3; i++) yield batch(i);
    },
  } as JobData;
  return { data, passes };
}

const collect = async (batches: AsyncIterable<Batch>) => {
  const out: Batch[] = [];
  for await (const b of batches) out.push(b);
  return out;
};
const options = { batchSize: 2, shuffle: false, seed: 0 };

describe('keepingSplit', () => {
  it('streams the split once and replays the same batches after', async () => {
    const { data, passes } = source();
    const kept = keepingSplit(data, 'valid');
    const first = await collect(kept.batches('d', 'valid', options));
    const second = await collect(kept.batches('d', 'valid', options));
    assert.equal(passes['valid'], 1);
    assert.equal(second.length, 3);
    second.forEach((b, i) => assert.equal(b, first[i]));
  });

  it('streams other splits, shuffled passes and other batch sizes as they are', async () => {
    const { data, passes } = source();
    const kept = keepingSplit(data, 'valid');
    for (let i = 0; i < 2; i++) {
      await collect(kept.batches('d', 'train', options));
      await collect(kept.batches('d', 'valid', { ...options, shuffle: true }));
    }
    await collect(kept.batches('d', 'valid', options));
    await collect(kept.batches('d', 'valid', { ...options, batchSize: 3 }));
    assert.deepEqual(passes, { train: 2, 'valid shuffled': 2, valid: 2 });
  });

  it('keeps nothing from a pass left part-way, nor a split past the cap', async () => {
    const { data, passes } = source();
    const kept = keepingSplit(data, 'valid');
    for await (const _ of kept.batches('d', 'valid', options)) break;
    assert.equal((await collect(kept.batches('d', 'valid', options))).length, 3);
    assert.equal(passes['valid'], 2);
    const small = source();
    const capped = keepingSplit(small.data, 'valid', 70); // 32 bytes a batch: the third passes the cap
    for (let i = 0; i < 3; i++) assert.equal((await collect(capped.batches('d', 'valid', options))).length, 3);
    assert.equal(small.passes['valid'], 3);
  });
});

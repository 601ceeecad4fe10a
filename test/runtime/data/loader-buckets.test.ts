/** Length bucketing of token sequences: training batches hold sentences of about one length, every row once, seeded. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../../job/job.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { Random } from '../../../runtime/random.js';
import { arrowTypes, collect, makeJob, temporaryDirectory, writeArrow } from './fixtures.js';

const ROWS = 640;

describe('loader: length buckets', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let job: Job;

  before(async () => {
    tmp = await temporaryDirectory();
    const random = new Random(5);
    // Row r has 1 to 30 tokens; its first token names the row, so rows can be told apart.
    const sentences = Array.from({ length: ROWS }, (_, r) => [`w${r}`, ...Array.from({ length: random.int(30) }, () => 'x')]);
    await writeArrow(path.join(tmp.dir, 's.arrow'), {
      tokens: { values: sentences, type: arrowTypes.listString() },
      tags: { values: sentences.map((s) => s.map(() => 'T')), type: arrowTypes.listString() },
    });
    job = makeJob({
      root: tmp.dir, files: ['s.arrow'],
      columns: [{ name: 'tokens', type: 'list<string>' }, { name: 'tags', type: 'list<string>' }],
      split: { kind: 'ratio', train: 0.9, valid: 0.1, test: 0, seed: 1 },
      features: [{ id: 'tok', column: 'tokens', transform: { kind: 'tokens', maxLength: 40, maxVocab: 0, minCount: 1, lowercase: false }, shape: [40] }],
      input: { features: ['tok'], kind: 'sequence', shape: [40] },
      tasks: [{ name: 'tags', target: { col: 'tags' }, targetType: 'list<string>', head: { kind: 'tagging', units: { classes: 'tags' }, classes: 'vocab' } }],
      shuffleBuffer: 128,
    });
  });
  after(() => tmp.remove());

  const lengthsOf = (batch: { inputs: Record<string, { data: ArrayLike<number>; shape: number[] }> }) => {
    const { data, shape } = batch.inputs.x!;
    return Array.from({ length: shape[0]! }, (_, r) => Array.from(data).slice(r * shape[1]!, (r + 1) * shape[1]!).filter((id) => id !== 0).length);
  };

  it('batches sentences of about one length, each row once, the same for a seed', async () => {
    const data = await openJobData(job);
    const batches = await collect(data, 'train', { batchSize: 16, shuffle: true, seed: 3 });
    const rows = data.fitted.rows.d!.train;
    assert.equal(batches.reduce((n, b) => n + b.size, 0), rows);
    const firstIds = batches.flatMap((b) => Array.from({ length: b.size }, (_, r) => b.inputs.x!.data[r * b.inputs.x!.shape[1]!]!));
    assert.equal(new Set(firstIds).size, rows, 'every row once');
    const spread = batches.map((b) => Math.max(...lengthsOf(b)) - Math.min(...lengthsOf(b)));
    // 30 lengths over a pool of 32 batches: most batches hold one or two lengths.
    assert.ok(spread.reduce((a, b) => a + b, 0) / spread.length <= 2, `mean spread ${spread.join(',')}`);
    const padding = data.padding!()!;
    assert.ok((padding.positions - padding.tokens) / padding.positions < 0.05, `padding ${JSON.stringify(padding)}`);
    const again = await collect(await openJobData(job), 'train', { batchSize: 16, shuffle: true, seed: 3 });
    assert.deepEqual(again.map((b) => Array.from(b.inputs.x!.data)), batches.map((b) => Array.from(b.inputs.x!.data)));
  });
});

/**
 * Batch arrays reused (`BatchOptions.reuseArrays`): a consumer that asks for it is done with a batch once it asks for the
 * next, and the loader then gathers a later batch into the same buffer. Two things must hold:
 *
 * - the loader's batches are the ones it gives without reuse, value for value, in every way a pass runs (shuffled,
 *   kept and replayed, in file order, one-hot blocks whose zeros a recycled buffer must get back, token sequences);
 * - training and evaluation, which ask for it, keep nothing of a batch past the next request: their batches are
 *   poisoned (NaN, out-of-range ids) as soon as the next is asked for, and the run must not change by a bit. The cpu
 *   backend's tensors share the arrays they are made from, so this is where holding one would show.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { compileProgram } from '../../compiler/compile.js';
import type { Job } from '../../job/job.js';
import type { Batch, BatchOptions, JobData, SplitName } from '../../runtime/data/api.js';
import { openJobData } from '../../runtime/data/loader.js';
import { train } from '../../runtime/train/train.js';
import { useCpu } from './helpers/tf.js';

/** The first `rows` rows of an example's Arrow file, written under `root` at the same relative path. */
function subset(from: string, root: string, relative: string, rows: number): void {
  const table = tableFromIPC(fs.readFileSync(path.join(from, relative)));
  fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  fs.writeFileSync(path.join(root, relative), tableToIPC(table.slice(0, rows), 'file'));
}

/** A program compiled from `text`, its data under `root`. */
function compileText(root: string, name: string, text: string): Job {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  const { job, diagnostics } = compileProgram({ file });
  assert.ok(job, diagnostics.map((d) => d.message).join('\n'));
  return job;
}

const censusText = (sharing: string, train: string) =>
  fs.readFileSync('examples/census/census.mtl', 'utf8')
    .replace(/backbone trunk = [^\n]*\n/, '')
    .replace(/share shared_trunk = [^\n]*\n/, sharing)
    .replace(/train \{[^]*$/, `train {\n${train}\n}\n`);

const udText = `
dataset ewt {
  files: "data/en_ewt-*.arrow"
  columns: { tokens: list(string), upos: list(string), deprel: list(string), head: list(int) }
  split: files(train: "data/en_ewt-dev.arrow", valid: "data/en_ewt-test.arrow", test: "data/en_ewt-test.arrow")
}
features words {
  dataset: ewt
  transforms: [tokens(tokens, max_length: 16, lowercase: true, min_count: 2, suffixes: 4, shape: true)]
}
backbone encoder = transformer_encoder(layers: 1, dim: 8, heads: 2, ff: 8)
task upos { features: words target: upos head: tagging }
task deprel { features: words target: deprel head: tagging }
share tagger = hard(backbone: encoder, tasks: [upos, deprel])
train { optimizer: adam(lr: 0.003) batch_size: 8 epochs: 1 seed: 3 }
`;

/** A batch's values, copied (the loader may overwrite the batch itself once the next is asked for). */
function snapshot(batch: Batch) {
  const tensor = (t: { data: Float32Array | Int32Array; shape?: number[] }) => ({ shape: t.shape, data: Array.from(t.data) });
  return {
    size: batch.size,
    inputs: Object.fromEntries(Object.entries(batch.inputs).map(([id, t]) => [id, tensor(t)])),
    labels: Object.fromEntries(Object.entries(batch.labels).map(([task, l]) => [task, { values: tensor(l.values), mask: Array.from(l.mask) }])),
  };
}

/** Every batch of a pass, copied as it comes; and how many distinct buffers their arrays were views of. */
async function pass(data: JobData, dataset: string, split: SplitName, options: BatchOptions) {
  const batches: ReturnType<typeof snapshot>[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const batch of data.batches(dataset, split, options)) {
    batches.push(snapshot(batch));
    for (const t of Object.values(batch.labels)) buffers.add(t.mask.buffer);
  }
  return { batches, buffers: buffers.size };
}

/** Fills a batch's arrays with what no consumer could use unnoticed: NaN, and ids far out of every range. */
function poison(batch: Batch): void {
  const arrays = [...Object.values(batch.inputs).map((t) => t.data), ...Object.values(batch.labels).flatMap((l) => [l.values.data, l.mask])];
  for (const array of arrays) array.fill(array instanceof Int32Array ? 0x3fffffff : NaN);
}

/** `data`, whose batches are poisoned once the next is asked for, when the consumer asked for reused arrays. */
function poisoning(data: JobData): JobData & { poisoned: number } {
  const wrapped = Object.create(data) as JobData & { poisoned: number };
  wrapped.poisoned = 0;
  wrapped.batches = (dataset, split, options) => {
    const batches = data.batches(dataset, split, options);
    if (!options.reuseArrays) return batches;
    return (async function* () {
      for await (const batch of batches) {
        yield batch;
        poison(batch);
        wrapped.poisoned += 1;
      }
    })();
  };
  return wrapped;
}

/** What a run leaves: its history (losses and scores, epoch by epoch) and its final weights. */
async function trained(job: Job, data: JobData, noOpt: string[] = []) {
  const result = await train(job, data, { log: () => {}, progress: false, noOpt });
  const weights = result.model.params.map((p) => Array.from(p.variable.dataSync()));
  result.model.dispose();
  return { history: result.history.map(({ trainSeconds, stepsPerSecond, ...rest }) => rest), weights, best: result.best.scores, experts: result.experts };
}

describe('batch arrays reused', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-reuse-'));
  let census: Job;
  let mmoe: Job;
  let ud: Job;
  before(() => {
    useCpu();
    subset('examples/census', root, 'data/census-income.arrow', 3000);
    subset('examples/ud', root, 'data/en_ewt-dev.arrow', 40);
    subset('examples/ud', root, 'data/en_ewt-test.arrow', 32);
    const training = 'optimizer: adam(lr: 0.002)\nbatch_size: 64\nepochs: 2\nseed: 7';
    census = compileText(root, 'census.mtl', censusText('backbone trunk = mlp(units: [16, 8], activation: relu)\nshare shared_trunk = hard(backbone: trunk, tasks: [income, never_married])\n', training));
    mmoe = compileText(root, 'mmoe.mtl', censusText('backbone expert = mlp(units: [4])\nshare experts = mmoe(expert: expert, experts: 3, tasks: [income, never_married])\n', training));
    assert.ok(census.inputs.every((i) => i.lookup === true), 'compiled, the census input is fed as kernel rows');
    ud = compileText(root, 'ud.mtl', udText);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  // Compiled, the census input is fed as kernel rows (the onehot-lookup pass); without the pass, as one-hot blocks.
  const blocks = (job: Job): Job => ({ ...job, inputs: job.inputs.map(({ lookup, ...input }) => input) });

  for (const [form, of] of [['one-hot blocks', blocks], ['kernel rows (onehot-lookup)', (j: Job) => j]] as const) {
    it(`gives the batches it gives without reuse, in one recycled buffer a pass: census, ${form}`, async () => {
      const job = of(census);
      const plain = await openJobData(job);
      const reusing = await openJobData(job, { fitted: plain.fitted });
      // Each pass's batches are gathered as they are handed out, so the one buffer comes back before the next is gathered.
      const passes: [SplitName, Omit<BatchOptions, 'reuseArrays'>][] = [
        ['train', { batchSize: 64, shuffle: true, seed: 5, epoch: 0, keep: true }], // reads the file, keeps the rows
        ['train', { batchSize: 64, shuffle: true, seed: 5, epoch: 1, keep: true }], // replays the kept rows
        ['train', { batchSize: 50, shuffle: true, seed: 6, epoch: 0 }], // keeps nothing: all 1,500 rows fit the shuffle buffer
        ['valid', { batchSize: 64, shuffle: false, seed: 0, keep: true }],
        ['valid', { batchSize: 64, shuffle: false, seed: 0, keep: true }],
      ];
      for (const [split, options] of passes) {
        const expected = await pass(plain, 'census', split, options);
        const got = await pass(reusing, 'census', split, { ...options, reuseArrays: true });
        assert.deepEqual(got.batches, expected.batches, `${split} ${JSON.stringify(options)}`);
        assert.equal(expected.buffers, expected.batches.length, 'without reuse, a buffer per batch');
        assert.equal(got.buffers, 1, `${split} ${JSON.stringify(options)}`);
      }
    });
  }

  /** `job`'s passes over `dataset`'s training split with and without reuse, from two openings; both passes of each. */
  async function bothWays(job: Job, dataset: string, passes: Omit<BatchOptions, 'reuseArrays'>[]) {
    const plain = await openJobData(job);
    const reusing = await openJobData(job, { fitted: plain.fitted });
    const results = [];
    for (const options of passes) {
      const expected = await pass(plain, dataset, 'train', options);
      const got = await pass(reusing, dataset, 'train', { ...options, reuseArrays: true });
      assert.deepEqual(got.batches, expected.batches, JSON.stringify(options));
      results.push(got);
    }
    return results;
  }

  it('gives the batches it gives without reuse through a small shuffle buffer (batches gathered as they complete)', async () => {
    const job: Job = { ...blocks(census), training: { ...census.training, shuffleBuffer: 100 } };
    for (const got of await bothWays(job, 'census', [{ batchSize: 32, shuffle: true, seed: 4, epoch: 0 }, { batchSize: 32, shuffle: false, seed: 0 }])) {
      assert.ok(got.buffers < got.batches.length, `${got.buffers} buffers for ${got.batches.length} batches`);
    }
  });

  it('gives the batches it gives without reuse: token sequences through length buckets', async () => {
    // Token tensors are cut to each batch's longest sequence, into arrays of their own: only the values are compared.
    await bothWays(ud, 'ewt', [{ batchSize: 8, shuffle: true, seed: 2, epoch: 0 }, { batchSize: 8, shuffle: false, seed: 0 }]);
  });

  it('poisoning catches a consumer that holds a batch past the next request (the check below can fail)', async () => {
    const data = poisoning(await openJobData(census));
    const held: Batch[] = [];
    for await (const batch of data.batches('census', 'valid', { batchSize: 64, shuffle: false, seed: 0, reuseArrays: true })) held.push(batch);
    assert.ok(held.length > 2);
    assert.ok(Number.isNaN(held[0]!.labels.income!.mask[0]), 'the first batch was poisoned once the second was asked for');
  });

  const runs: [string, () => Job, string[]][] = [
    ['census hard sharing, the fused dense step', () => census, []],
    ['census hard sharing, the tfjs step on one-hot blocks', () => blocks(census), ['fused-dense-step']],
    ['census MMoE, the fused dense step', () => mmoe, []],
    ['census MMoE, the tfjs step on kernel rows', () => mmoe, ['fused-dense-step']],
    ['token tagging (length buckets, the tfjs step)', () => ud, []],
  ];
  for (const [name, jobOf, noOpt] of runs) {
    it(`training and evaluation hold no batch past the next request: ${name}`, async () => {
      const job = jobOf();
      const plain = await openJobData(job);
      const poisoned = poisoning(await openJobData(job, { fitted: plain.fitted }));
      const before = tf.memory().numTensors;
      const expected = await trained(job, plain, noOpt);
      const got = await trained(job, poisoned, noOpt);
      assert.equal(tf.memory().numTensors, before);
      assert.ok(poisoned.poisoned > 0, 'training asks for reused arrays');
      assert.ok(expected.weights.flat().every(Number.isFinite));
      // MMoE's gates are read over the validation split at the end (train/experts.ts), through reused arrays too.
      assert.equal(expected.experts.length, job === mmoe ? 2 : 0);
      assert.deepEqual(got, expected);
    });
  }
});

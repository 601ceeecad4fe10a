/** Faults in a dataset's files and values that once crashed, hung or trained silently: each is a UserError naming what is wrong. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dictionary, Int32, makeData, Table, tableToIPC, Utf8, vectorFromArray, makeVector, type Vector } from 'apache-arrow';
import type { ColumnPlan, Expr, Job, SplitPlan, TaskPlan, TransformPlan } from '../../../job/job.js';
import { openArrowFile } from '../../../runtime/data/arrow-file.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { arrowTypes, makeJob, temporaryDirectory, userErrorOf, writeArrow } from './fixtures.js';

const byFold: SplitPlan = { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' };
const folds = (n: number) => ({ values: Array.from({ length: n }, (_, i) => (i === n - 1 ? 'valid' : 'train')), type: arrowTypes.string() });

function job(root: string, file: string, options: { columns?: ColumnPlan[]; transform?: TransformPlan; target?: Expr; regression?: boolean } = {}): Job {
  const head: TaskPlan['head'] = { kind: options.regression ? 'regression' : 'binary', units: 1, classes: 'index' };
  const tasks = options.target ? [{ name: 'single', target: options.target, targetType: options.regression ? ('float' as const) : ('bool' as const), head }] : [];
  return makeJob({
    root,
    files: [file],
    columns: options.columns ?? [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
    ],
    split: byFold,
    features: [{ id: 'x.f', column: 'x', transform: options.transform ?? { kind: 'standardize' }, shape: [1] }],
    input: { features: ['x.f'], kind: 'vector', shape: [1] },
    tasks,
  });
}

describe('loader: faulty files and values', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const at = (name: string) => path.join(tmp.dir, name);

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(at('good.arrow'), { fold: folds(4), x: Float64Array.from([1, 2, 3, 4]) });
  });
  after(() => tmp.remove());

  it('refuses a directory before opening it', async () => {
    await fs.mkdir(at('shards'));
    const message = await userErrorOf(openJobData(job(tmp.dir, 'shards')));
    assert.equal(message, `${at('shards')} is a directory, not an Arrow IPC file (a dataset's files must be regular files)`);
  });

  it('refuses a named pipe instead of waiting for a writer', async () => {
    execFileSync('mkfifo', [at('pipe.arrow')]);
    const message = await userErrorOf(openJobData(job(tmp.dir, 'pipe.arrow')));
    assert.equal(message, `${at('pipe.arrow')} is a named pipe (FIFO), not an Arrow IPC file (a dataset's files must be regular files)`);
  });

  it('says a file cut after its magic bytes is truncated or corrupt, without the reader\'s internal message', async () => {
    const bytes = await fs.readFile(at('good.arrow'));
    await fs.writeFile(at('cut.arrow'), bytes.subarray(0, 40));
    const message = await userErrorOf(openJobData(job(tmp.dir, 'cut.arrow')));
    assert.equal(message, `${at('cut.arrow')} is truncated or corrupt (it starts like an Arrow IPC file but its footer or schema cannot be read)`);
  });

  it('says a stream cut inside a record batch is truncated or corrupt', async () => {
    await writeArrow(at('stream.arrow'), { fold: folds(4), x: Float64Array.from([1, 2, 3, 4]) }, 'stream');
    const bytes = await fs.readFile(at('stream.arrow'));
    await fs.writeFile(at('stream-cut.arrow'), bytes.subarray(0, bytes.length - 40));
    const message = await userErrorOf(openJobData(job(tmp.dir, 'stream-cut.arrow')));
    assert.equal(message, `${at('stream-cut.arrow')} is truncated or corrupt (a record batch cannot be read)`);
  });

  // The reader once kept the size it saw at open and read 0 bytes forever (100% CPU); the timeout only turns a
  // regression into a failure instead of a hung suite.
  // Read ahead (as the loader reads), a small file is all read at open: the cut is caught when its batches are asked for.
  for (const [layout, readAhead, reuseBuffers] of [['file', false, false], ['stream', false, false], ['file', true, false], ['stream', true, false], ['file', true, true], ['stream', true, true]] as const) {
    it(`says an Arrow ${layout} truncated in place while open changed size, instead of reading it forever${readAhead ? ' (read ahead)' : ''}${reuseBuffers ? ' (buffers reused)' : ''}`, { timeout: 20_000 }, async () => {
      const name = `shrinks.${layout}${readAhead ? '.ahead' : ''}${reuseBuffers ? '.reused' : ''}.arrow`;
      await fs.copyFile(layout === 'file' ? path.join('test', 'fixtures', 'data', 'tiny.arrow') : await writeArrow(at('s.arrow'), { fold: folds(4), x: Float64Array.from([1, 2, 3, 4]) }, 'stream'), at(name));
      const size = (await fs.stat(at(name))).size;
      const reader = await openArrowFile(at(name), name, { readAhead, reuseBuffers });
      await fs.truncate(at(name), 200);
      const message = await userErrorOf((async () => {
        for await (const batch of reader.batches()) void batch;
      })());
      assert.equal(message, `${name} changed size while being read: it was ${size} bytes at open, is now 200; was it overwritten?`);
    });
  }

  it('names the column whose dictionary indices point past its dictionary', async () => {
    const dictionary = vectorFromArray(['train', 'valid'], new Utf8()) as Vector;
    const fold = makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 4, nullCount: 0, data: Int32Array.from([0, 0, 7, 1]), dictionary }));
    await fs.writeFile(at('dict.arrow'), tableToIPC(new Table({ fold, x: vectorFromArray(Float64Array.from([1, 2, 3, 4])) })));
    const message = await userErrorOf(openJobData(job(tmp.dir, 'dict.arrow')));
    assert.equal(message, `${at('dict.arrow')} is corrupt: column "fold" has dictionary index 7 at row 2 (0-based), but its dictionary holds 2 values (indices 0 to 1)`);
  });

  it('refuses a standardized column whose standard deviation overflows, naming the column and the magnitude', async () => {
    await writeArrow(at('huge.arrow'), { fold: folds(4), x: Float64Array.from([1, 1e300, 3, 4]) });
    const message = await userErrorOf(openJobData(job(tmp.dir, 'huge.arrow')));
    assert.equal(
      message,
      'column "x": the training split holds values as large as 1.00e+300 in magnitude, so its mean and standard deviation cannot be computed as finite numbers; feature x.f (standardize) needs values below about 1e150 (rescale the column, e.g. take its log, or drop the outlying rows)',
    );
  });

  it('refuses a regression target too large to train, naming the column and its magnitude', async () => {
    await writeArrow(at('scale.arrow'), { fold: folds(4), x: Float64Array.from([1, 2, 3, 4]), y: Float64Array.from([1e20, -3e20, 2e20, 1]) });
    const columns: ColumnPlan[] = [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
      { name: 'y', type: 'float' },
    ];
    const message = await userErrorOf(openJobData(job(tmp.dir, 'scale.arrow', { columns, target: { col: 'y' }, regression: true })));
    assert.equal(
      message,
      'target of task single (column "y") reaches 3.00e+20 in magnitude in the training split; a regression target this large cannot be trained in float32 whatever the learning rate (its squared error overflows above ~1.8e19); standardise it first, e.g. divide it by 1e20 or take its log',
    );
  });

  describe('a target constant over the training split', () => {
    const columns: ColumnPlan[] = [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
      { name: 'marital', type: 'string' },
    ];
    const file = 'people.arrow';
    before(async () => {
      await writeArrow(at(file), {
        fold: folds(5),
        x: Float64Array.from([1, 2, 3, 4, 5]),
        marital: { values: ['Married', 'Never married', 'Married', null, 'Never married'], type: arrowTypes.string() },
      });
    });

    it('stops on a comparison that is always false, with the values the column has and a did-you-mean', async () => {
      const target: Expr = { op: '==', args: [{ col: 'marital' }, { lit: 'never married' }] };
      const message = await userErrorOf(openJobData(job(tmp.dir, file, { columns, target })));
      assert.equal(
        message,
        'target of task single is false in all 3 training rows with a value (null in 1 more), so the task would learn nothing; column "marital" holds "Married" (2), "Never married" (1), null (1) in the training split; did you mean "Never married" for "never married"?',
      );
    });

    it('stops on a target that is null in every training row', async () => {
      const target: Expr = { op: '>', args: [{ col: 'marital' }, { lit: null }] };
      const message = await userErrorOf(openJobData(job(tmp.dir, file, { columns, target })));
      assert.equal(message, 'target of task single is null in all 4 training rows, so the task would learn nothing; column "marital" holds "Married" (2), "Never married" (1), null (1) in the training split');
    });

    it('accepts a target that varies', async () => {
      const target: Expr = { op: '==', args: [{ col: 'marital' }, { lit: 'Never married' }] };
      await openJobData(job(tmp.dir, file, { columns, target }));
    });
  });
});

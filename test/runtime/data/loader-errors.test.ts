/** Every bad input is a UserError that names the file, the column (and row) and what was expected. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ColumnPlan, Job, SplitPlan, TaskPlan } from '../../../job/job.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { arrowTypes, collect, makeJob, temporaryDirectory, userErrorOf, writeArrow } from './fixtures.js';

type TaskSpec = Omit<TaskPlan, 'dataset' | 'input' | 'from' | 'loss' | 'metrics' | 'weight'>;

const fold = (n: number) => ({ values: Array.from({ length: n }, (_, i) => (i === n - 1 ? 'valid' : 'train')), type: arrowTypes.string() });
const byFold: SplitPlan = { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' };

function job(root: string, options: { files?: string[]; columns?: ColumnPlan[]; split?: SplitPlan; tasks?: TaskSpec[] } = {}): Job {
  return makeJob({
    root,
    files: options.files ?? ['good.arrow'],
    columns: options.columns ?? [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
    ],
    split: options.split ?? byFold,
    features: [{ id: 'x.std', column: 'x', transform: { kind: 'standardize' }, shape: [1] }],
    input: { features: ['x.std'], kind: 'vector', shape: [1] },
    tasks: options.tasks ?? [],
  });
}

describe('loader: user errors', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const at = (name: string) => path.join(tmp.dir, name);

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(at('good.arrow'), { fold: fold(4), x: Float64Array.from([1, 2, 3, 4]), c: { values: ['a', 'b', 'c', 'd'], type: arrowTypes.string() } });
  });
  after(() => tmp.remove());

  it('names a missing file', async () => {
    const message = await userErrorOf(openJobData(job(tmp.dir, { files: ['good.arrow', 'missing.arrow'] })));
    assert.equal(message, `${at('missing.arrow')} does not exist`);
  });

  it('says a CSV file is not Arrow', async () => {
    await fs.writeFile(at('table.arrow'), 'fold,x\ntrain,1\n');
    const message = await userErrorOf(openJobData(job(tmp.dir, { files: ['table.arrow'] })));
    assert.equal(message, `${at('table.arrow')} is not an Arrow IPC file (it looks like text; if it is CSV, convert it with \`mtl data import\`)`);
  });

  it('says a truncated file is not a valid Arrow file', async () => {
    const bytes = await fs.readFile(at('good.arrow'));
    await fs.writeFile(at('cut.arrow'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const message = await userErrorOf(openJobData(job(tmp.dir, { files: ['cut.arrow'] })));
    assert.match(message, new RegExp(`^${escape(at('cut.arrow'))} is (not an Arrow IPC file|truncated or corrupt) \\(.+\\)$`));
  });

  it('names a missing column and the columns the file has', async () => {
    const columns: ColumnPlan[] = [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
      { name: 'age', type: 'float' },
    ];
    const message = await userErrorOf(openJobData(job(tmp.dir, { columns })));
    assert.equal(message, `${at('good.arrow')} has no column "age" (it has: fold, x, c)`);
  });

  it('names a column of the wrong type, with the type expected and the type found', async () => {
    const columns: ColumnPlan[] = [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
      { name: 'c', type: 'float' },
    ];
    const message = await userErrorOf(openJobData(job(tmp.dir, { columns })));
    assert.equal(message, `${at('good.arrow')}: column "c" should be float but is Dictionary<Int32, Utf8>`);
  });

  it('reports every problem of every file at once', async () => {
    const columns: ColumnPlan[] = [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'int' },
    ];
    const message = await userErrorOf(openJobData(job(tmp.dir, { files: ['good.arrow', 'missing.arrow'], columns })));
    assert.equal(message, [`${at('good.arrow')}: column "x" should be int but is Float64`, `${at('missing.arrow')} does not exist`].join('\n'));
  });

  for (const [name, value, found] of [
    ['NaN', NaN, 'holds NaN'],
    ['infinity', -Infinity, 'holds -Infinity'],
    ['null', null, 'is null'],
  ] as const) {
    it(`names the file, column and row of a ${name} feature value`, async () => {
      await writeArrow(at(`${name}.arrow`), { fold: fold(4), x: { values: [1, 2, value, 4], type: arrowTypes.float() } });
      const message = await userErrorOf(openJobData(job(tmp.dir, { files: [`${name}.arrow`] })));
      assert.equal(message, `${at(`${name}.arrow`)}: column "x" ${found} at row 2 (0-based); feature x.std needs a finite number in every row`);
    });
  }

  it('names the dataset, split and split spec of an empty split', async () => {
    const split: SplitPlan = { kind: 'ratio', train: 1, valid: 0, test: 0, seed: 3 };
    const message = await userErrorOf(openJobData(job(tmp.dir, { split, columns: [{ name: 'x', type: 'float' }] })));
    assert.equal(message, 'dataset d has no rows in its valid split (4 rows in all; split ratio train 1 / valid 0 / test 0, seed 3)');
  });

  it('rejects a binary target that is not 0 or 1, naming task, value, column and row', async () => {
    await writeArrow(at('labels.arrow'), { fold: fold(4), x: Float64Array.from([1, 2, 3, 4]), n: Int32Array.from([0, 1, 3, 1]) });
    const tasks: TaskSpec[] = [{ name: 'flag', target: { col: 'n' }, targetType: 'int', head: { kind: 'binary', units: 1, classes: 'index' } }];
    const data = await openJobData(job(tmp.dir, { files: ['labels.arrow'], tasks }));
    const message = await userErrorOf(collect(data, 'train'));
    assert.equal(message, `target of task flag has value 3, a binary head holds 0 or 1 (column "n", row 2 of ${at('labels.arrow')})`);
  });

  it('rejects a class index the multiclass head cannot hold', async () => {
    const tasks: TaskSpec[] = [{ name: 'kind', target: { col: 'n' }, targetType: 'int', head: { kind: 'multiclass', units: 3, classes: 'index' } }];
    await writeArrow(at('classes.arrow'), { fold: fold(4), x: Float64Array.from([1, 2, 3, 4]), n: Int32Array.from([0, 2, 1, 7]) });
    const data = await openJobData(job(tmp.dir, { files: ['classes.arrow'], tasks }));
    const message = await userErrorOf(collect(data, 'valid'));
    assert.equal(message, `target of task kind has value 7, a multiclass head with 3 classes holds class indices 0 to 2 (column "n", row 3 of ${at('classes.arrow')})`);
  });

  it('rejects more class names in training than the head holds', async () => {
    const tasks: TaskSpec[] = [{ name: 'letter', target: { col: 'c' }, targetType: 'string', head: { kind: 'multiclass', units: 2, classes: 'vocab' } }];
    const columns: ColumnPlan[] = [
      { name: 'fold', type: 'string' },
      { name: 'x', type: 'float' },
      { name: 'c', type: 'string' },
    ];
    const message = await userErrorOf(openJobData(job(tmp.dir, { columns, tasks })));
    assert.equal(message, 'target of task letter has 3 classes in the training split ("a", "b", "c"), but its head holds 2');
  });

  it('rejects tags that do not align with the tokens', async () => {
    await writeArrow(at('tags.arrow'), {
      fold: fold(2),
      tokens: { values: [['a', 'b'], ['c']], type: arrowTypes.listString() },
      tags: { values: [['X', 'Y'], ['X', 'Y']], type: arrowTypes.listString() },
    });
    const tagJob = makeJob({
      root: tmp.dir,
      files: ['tags.arrow'],
      columns: [
        { name: 'fold', type: 'string' },
        { name: 'tokens', type: 'list<string>' },
        { name: 'tags', type: 'list<string>' },
      ],
      split: byFold,
      features: [{ id: 'tok', column: 'tokens', transform: { kind: 'tokens', maxLength: 4, maxVocab: 10, minCount: 1, lowercase: false }, shape: [4] }],
      input: { features: ['tok'], kind: 'sequence', shape: [4] },
      tasks: [{ name: 'tag', target: { col: 'tags' }, targetType: 'list<string>', head: { kind: 'tagging', units: { classes: 'tag' }, classes: 'vocab' } }],
    });
    const data = await openJobData(tagJob);
    const message = await userErrorOf(collect(data, 'valid'));
    assert.equal(message, `target of task tag has 2 tags for 1 tokens of column "tokens" (column "tags", row 1 of ${at('tags.arrow')}); tags and tokens must align`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

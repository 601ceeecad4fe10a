/**
 * A span head's target as the loader reads it: [start, end] per row (int32 [n, 2]) with a mask per row; a null list
 * and a span past the tokens max_length keeps are unlabelled (the latter counted for the run's summary); a list of
 * another length, a span that is no span, or one past the row's own tokens is an error naming column and row.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job, SplitPlan } from '../../../job/job.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { arrowTypes, collect, makeJob, temporaryDirectory, userErrorOf, writeArrow } from './fixtures.js';

const byFold: SplitPlan = { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' };

function spanJob(root: string, file: string): Job {
  return makeJob({
    root,
    files: [file],
    columns: [
      { name: 'fold', type: 'string' },
      { name: 'words', type: 'list<string>' },
      { name: 'answer', type: 'list<int>' },
    ],
    split: byFold,
    // Three tokens kept of each row.
    features: [{ id: 'tok', column: 'words', transform: { kind: 'tokens', maxLength: 3, maxVocab: 10, minCount: 1, lowercase: false }, shape: [3] }],
    input: { features: ['tok'], kind: 'sequence', shape: [3] },
    tasks: [{ name: 'answer', target: { col: 'answer' }, targetType: 'list<int>', head: { kind: 'span', units: 2, classes: 'index', maxLength: 30 } }],
  });
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);

describe('loader: span labels', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const at = (name: string) => path.join(tmp.dir, name);

  before(async () => {
    tmp = await temporaryDirectory();
  });
  after(() => tmp.remove());

  it('reads [start, end] per row; a null list and a span past the tokens kept are unlabelled, the latter counted', async () => {
    await writeArrow(at('spans.arrow'), {
      fold: { values: ['train', 'train', 'train', 'train', 'valid'], type: arrowTypes.string() },
      words: { values: [words(3), words(2), words(5), words(4), words(5)], type: arrowTypes.listString() },
      // Row 2 ends at token 3 of 5, past the 3 kept; row 4 too, in the validation split (not counted).
      answer: { values: [[0, 2], [1, 1], [2, 3], null, [3, 4]], type: arrowTypes.listInt() },
    });
    const data = await openJobData(spanJob(tmp.dir, 'spans.arrow'));
    const [train] = await collect(data, 'train');
    assert.deepEqual(Array.from(train!.labels.answer!.values.data), [0, 2, 1, 1, 0, 0, 0, 0]);
    assert.deepEqual(train!.labels.answer!.values.shape, [4, 2]);
    assert.deepEqual(Array.from(train!.labels.answer!.mask), [1, 1, 0, 0]);
    assert.deepEqual(data.cutSpans!(), { answer: { rows: 3, cut: 1 } });
    const [valid] = await collect(data, 'valid');
    assert.deepEqual(Array.from(valid!.labels.answer!.mask), [0]);
    assert.deepEqual(data.cutSpans!(), { answer: { rows: 3, cut: 1 } }, 'only the training split counts');
  });

  const refused: [string, (number | null)[], string][] = [
    ['a list of another length', [0, 1, 2], 'has a list of 3 values, a span head holds [start, end]: two token positions'],
    ['an end before the start', [2, 1], 'has [2, 1], a span head holds [start, end]: token positions (0-based, inclusive) with 0 ≤ start ≤ end'],
    ['a span past the row\'s own tokens', [1, 2], 'has [1, 2], past the row\'s tokens in column "words" (it has 2)'],
  ];
  for (const [name, span, message] of refused) {
    it(`refuses ${name}, naming the column and the row`, async () => {
      const file = `bad-${name.replace(/\W+/g, '-')}.arrow`;
      await writeArrow(at(file), {
        fold: { values: ['train', 'train', 'valid'], type: arrowTypes.string() },
        words: { values: [words(3), words(2), words(3)], type: arrowTypes.listString() },
        answer: { values: [[0, 0], span, [0, 0]], type: arrowTypes.listInt() },
      });
      const data = await openJobData(spanJob(tmp.dir, file));
      assert.equal(await userErrorOf(collect(data, 'train')), `target of task answer ${message} (column "answer", row 1 of ${at(file)})`);
    });
  }
});

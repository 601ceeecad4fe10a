/**
 * A `tokens` feature with `suffixes` and `shape`: the shape classes, the suffixes of a token, the fitted suffix
 * vocabulary and the ids each position carries (word, suffixes, shape), worked out by hand for a few sentences.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TOKEN_SHAPES, type Job } from '../../../job/job.js';
import { fittedMismatchProblems } from '../../../runtime/data/fitted-check.js';
import { loadFitted, saveFitted } from '../../../runtime/data/fitted-io.js';
import { openJobData } from '../../../runtime/data/loader.js';
import { shapeId, suffixesOf } from '../../../runtime/data/subwords.js';
import { arrowTypes, collect, inputRows, makeJob, temporaryDirectory, writeArrow } from './fixtures.js';

const shape = (name: (typeof TOKEN_SHAPES)[number]) => TOKEN_SHAPES.indexOf(name) + 1;

describe('tokens: shapes and suffixes of a token', () => {
  it('tells the shapes apart before lowercasing, the first that applies', () => {
    const cases: [string, (typeof TOKEN_SHAPES)[number]][] = [
      ['cat', 'lower'], ['e-mail', 'lower'], ['Cat', 'capitalised'], ['I', 'capitalised'], ['Émile', 'capitalised'],
      ['NASA', 'upper'], ['U.S.', 'upper'], ['iPhone', 'mixed'], ['McDonald', 'mixed'], ['NASA\'s', 'mixed'],
      ['42', 'digits'], ['A4', 'digits'], ['3rd', 'digits'], ['!', 'punctuation'], ['--', 'punctuation'], [':)', 'punctuation'],
    ];
    assert.deepEqual(cases.map(([token]) => TOKEN_SHAPES[shapeId(token) - 1]), cases.map(([, expected]) => expected));
    assert.deepEqual(TOKEN_SHAPES.map(shape), [1, 2, 3, 4, 5, 6]); // id 0 is padding
  });

  it('takes suffixes of 1 … n characters, lowercased, none where the token is shorter', () => {
    assert.deepEqual(suffixesOf('Running', 3), ['g', 'ng', 'ing']);
    assert.deepEqual(suffixesOf('Ox', 3), ['x', 'ox', null]);
    assert.deepEqual(suffixesOf('café', 2), ['é', 'fé']);
    assert.deepEqual(suffixesOf('a😀', 2), ['😀', 'a😀']); // by code point, not UTF-16 unit
  });
});

describe('tokens: suffix and shape ids through the loader', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let job: Job;
  const sentences = [['The', 'cats', 'sat'], ['the', 'Cat', 'ran', '42'], ['NASA', 'rats', '!'], ['iPhone', 'bats', 'x'], null];

  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(path.join(tmp.dir, 'words.arrow'), {
      fold: { values: ['train', 'train', 'train', 'valid', 'test'], type: arrowTypes.string() },
      tokens: { values: sentences, type: arrowTypes.listString() },
      text: { values: sentences.map((s) => s?.join(' ') ?? null), type: arrowTypes.plainString() },
    });
    job = makeJob({
      root: tmp.dir,
      files: ['words.arrow'],
      columns: [{ name: 'fold', type: 'string' }, { name: 'tokens', type: 'list<string>' }, { name: 'text', type: 'string' }],
      split: { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' },
      features: [{
        id: 'tok', column: 'tokens', shape: [4, 4],
        transform: { kind: 'tokens', maxLength: 4, maxVocab: 100, minCount: 2, lowercase: true, suffixes: 2, shape: true },
      }],
      input: { features: ['tok'], kind: 'sequence', shape: [4, 4] },
      tasks: [],
    });
  });
  after(() => tmp.remove());

  // Training tokens, lowercased: the ×2, then cats, sat, cat, ran, 42, nasa, rats, ! once each. Their suffixes: e, he
  // (the ×2); s, ts (cats, rats); t, at (sat, cat); n, an, 2, 42, a, sa, ! once. min_count 2 keeps `the`, and the six
  // suffixes seen twice, by text: at, e, he, s, t, ts (ids 2 … 7).
  const AT = 2, E = 3, HE = 4, S = 5, T = 6, TS = 7, UNK = 1, NONE = 0;
  const THE = 2;
  const { lower, capitalised, upper, mixed, digits, punctuation } = Object.fromEntries(TOKEN_SHAPES.map((s) => [s, shape(s)])) as Record<(typeof TOKEN_SHAPES)[number], number>;
  const PAD = [0, 0, 0, 0];
  // Each position: word id, suffix of 1, suffix of 2, shape.
  const trainRows = [
    [[THE, E, HE, capitalised], [UNK, S, TS, lower], [UNK, T, AT, lower], PAD],
    [[THE, E, HE, lower], [UNK, T, AT, capitalised], [UNK, UNK, UNK, lower], [UNK, UNK, UNK, digits]],
    [[UNK, UNK, UNK, upper], [UNK, S, TS, lower], [UNK, UNK, NONE, punctuation], PAD],
  ];
  const validRows = [[[UNK, E, UNK, mixed], [UNK, S, TS, lower], [UNK, UNK, NONE, lower]]];

  it('fits a suffix vocabulary beside the words\', with <pad> and <unk> first and min_count applied', async () => {
    const data = await openJobData(job);
    assert.deepEqual(data.fitted.features.tok, {
      vocab: ['<pad>', '<unk>', 'the'],
      suffixVocab: ['<pad>', '<unk>', 'at', 'e', 'he', 's', 't', 'ts'],
    });
    assert.equal(data.width({ suffixes: 'tok' }), 8);
    assert.equal(data.width({ vocab: 'tok' }), 3);
  });

  it('writes each position\'s word, suffix and shape ids, padded with zeros and cut to the longest sentence', async () => {
    const data = await openJobData(job);
    const [train] = await collect(data, 'train');
    assert.deepEqual(train!.inputs.x!.shape, [3, 4, 4]);
    assert.deepEqual(inputRows([train!], 'x'), trainRows.map((r) => r.flat()));
    const [valid] = await collect(data, 'valid');
    assert.deepEqual(valid!.inputs.x!.shape, [1, 3, 4]);
    assert.deepEqual(inputRows([valid!], 'x'), validRows.map((r) => r.flat()));
    // 10 tokens in 12 positions (not 48 ids)
    assert.deepEqual(data.padding?.(), { tokens: 10, positions: 12 });
    // A row without tokens keeps one padded position.
    const [test] = await collect(data, 'test');
    assert.deepEqual(test!.inputs.x!.shape, [1, 1, 4]);
    assert.deepEqual(inputRows([test!], 'x'), [PAD]);
  });

  it('cuts each bucketed batch of one sentence to that sentence\'s length', async () => {
    const data = await openJobData(job);
    const batches = await collect(data, 'train', { batchSize: 1, shuffle: true, seed: 5 });
    const byLength = batches.map((b) => ({ shape: b.inputs.x!.shape, ids: Array.from(b.inputs.x!.data) })).sort((a, b) => a.shape[1]! - b.shape[1]! || a.ids[3]! - b.ids[3]!);
    assert.deepEqual(byLength, [
      { shape: [1, 3, 4], ids: trainRows[0]!.slice(0, 3).flat() },
      { shape: [1, 3, 4], ids: trainRows[2]!.slice(0, 3).flat() },
      { shape: [1, 4, 4], ids: trainRows[1]!.flat() },
    ]);
  });

  it('splits a string column into the same ids', async () => {
    const text = { ...job, features: job.features.map((f) => ({ ...f, column: 'text' })) };
    const data = await openJobData(text);
    assert.deepEqual(data.fitted.features.tok, (await openJobData(job)).fitted.features.tok);
    assert.deepEqual(inputRows(await collect(data, 'train'), 'x'), trainRows.map((r) => r.flat()));
    assert.deepEqual(inputRows(await collect(data, 'valid'), 'x'), validRows.map((r) => r.flat()));
  });

  it('encodes as fitted after features.json is saved and loaded, and refuses one without the suffix vocabulary', async () => {
    const data = await openJobData(job);
    const file = path.join(tmp.dir, 'features.json');
    await saveFitted(file, data.fitted);
    const loaded = await loadFitted(file);
    assert.deepEqual(loaded, data.fitted);
    const again = await openJobData(job, { fitted: loaded });
    assert.deepEqual(inputRows(await collect(again, 'valid'), 'x'), validRows.map((r) => r.flat()));
    assert.deepEqual(fittedMismatchProblems(job, { ...loaded, features: { tok: { vocab: loaded.features.tok!.vocab! } } }), ['the fitted features have no suffixVocab for feature tok']);
  });

  it('with shape alone, fits no suffix vocabulary and writes the word and shape ids', async () => {
    const shapesOnly = {
      ...job,
      features: job.features.map((f) => ({ ...f, shape: [4, 2], transform: { ...f.transform, suffixes: 0 } as typeof f.transform })),
      inputs: job.inputs.map((i) => ({ ...i, shape: [4, 2] })),
    };
    const data = await openJobData(shapesOnly);
    assert.deepEqual(data.fitted.features.tok, { vocab: ['<pad>', '<unk>', 'the'] });
    assert.deepEqual(inputRows(await collect(data, 'valid'), 'x'), [[UNK, mixed, UNK, lower, UNK, lower]]);
  });
});

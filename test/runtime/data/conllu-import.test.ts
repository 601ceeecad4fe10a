/** CoNLL-U to Arrow: one row per sentence, multi-word tokens and empty nodes skipped and counted, errors at the line. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { importConllu } from '../../../runtime/data/conllu-import.js';
import { mtl, looksLikeUserError } from '../../e2e/cli.js';
import { temporaryDirectory, userErrorOf } from './fixtures.js';

const FIXTURE = path.join(process.cwd(), 'test/runtime/data/conllu/small.conllu');

describe('importConllu', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const at = (name: string) => path.join(tmp.dir, name);
  before(async () => (tmp = await temporaryDirectory()));
  after(() => tmp.remove());

  it('writes one row per sentence with aligned lists of the syntactic words', async () => {
    const result = await importConllu({ input: FIXTURE, output: at('small.arrow') });
    assert.deepEqual({ ...result, bytes: undefined, output: undefined }, {
      output: undefined, bytes: undefined, sentences: 2, tokens: 12, multiwordTokens: 1, emptyNodes: 1,
    });
    const table = tableFromIPC(await fs.readFile(at('small.arrow')));
    assert.deepEqual(table.schema.fields.map((f) => f.name), ['sent_id', 'tokens', 'upos', 'xpos', 'deprel', 'head']);
    const rows = (name: string) => Array.from(table.getChild(name)!, (v) => (v === null || typeof v === 'string' ? v : Array.from(v as Iterable<unknown>)));
    assert.deepEqual(rows('sent_id'), ['doc-1-0001', 'doc-1-0002']);
    assert.deepEqual(rows('tokens'), [["I", "do", "n't", 'know', '.'], ['Sue', 'likes', 'coffee', 'and', 'Bill', 'tea', '.']]);
    assert.deepEqual(rows('upos'), [['PRON', 'AUX', 'PART', 'VERB', 'PUNCT'], ['PROPN', 'VERB', 'NOUN', 'CCONJ', 'PROPN', 'NOUN', 'PUNCT']]);
    assert.deepEqual(rows('xpos'), [['PRP', 'VBP', 'RB', 'VB', '.'], ['NNP', 'VBZ', 'NN', 'CC', 'NNP', 'NN', '.']]);
    assert.deepEqual(rows('deprel'), [['nsubj', 'aux', 'advmod', 'root', 'punct'], ['nsubj', 'root', 'obj', 'cc', 'conj', 'orphan', 'punct']]);
    assert.deepEqual(rows('head'), [[3, 4, 4, 0, 4], [2, 0, 2, 5, 3, 5, 2]]);
  });

  it('refuses a malformed word line, naming the file and line, and leaves no output', async () => {
    const text = (await fs.readFile(FIXTURE, 'utf8')).replace('4\tknow\tknow\tVERB', '4\tknow VERB');
    await fs.writeFile(at('bad.conllu'), text);
    const error = await userErrorOf(importConllu({ input: at('bad.conllu'), output: at('bad.arrow') }));
    assert.match(error, /bad\.conllu:8: expected 10 tab-separated fields .*, found 8/);
    await assert.rejects(fs.stat(at('bad.arrow')));
  });

  it('refuses word IDs out of order and a HEAD that is not a position', async () => {
    const text = await fs.readFile(FIXTURE, 'utf8');
    await fs.writeFile(at('order.conllu'), text.replace('5\t.\t.\tPUNCT', '6\t.\t.\tPUNCT'));
    assert.match((await userErrorOf(importConllu({ input: at('order.conllu'), output: at('o.arrow') }))), /order\.conllu:9: expected word ID 5 .*found 6/);
    await fs.writeFile(at('head.conllu'), text.replace('PRON\tPRP\t_\t3', 'PRON\tPRP\t_\tx'));
    assert.match((await userErrorOf(importConllu({ input: at('head.conllu'), output: at('h.arrow') }))), /head\.conllu:4: expected HEAD to be a word position .*found "x"/);
  });

  it('runs from the command line and says what it skipped', () => {
    const out = at('cli.arrow');
    const ok = mtl(['data', 'import', FIXTURE, '-o', out]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /: 2 sentences, 12 words; skipped 1 multi-word token and 1 empty node/);
    const missing = mtl(['data', 'import', at('nope.conllu'), '-o', out]);
    assert.equal(missing.status, 1);
    assert.ok(looksLikeUserError(missing.stderr), missing.stderr);
  });
});

/**
 * Converts the UD English EWT CoNLL-U files beside this script to Arrow, one row per sentence:
 *   npx tsx examples/ud/data/make.ts
 * Columns: tokens, upos, deprel (list<string>, dictionary-encoded to keep the files small) and
 * head (list<int>: the 1-based index of each token's head, 0 for the root). Multi-word token lines
 * (IDs like 3-4) and empty nodes (IDs like 5.1) are skipped: the rows hold the syntactic words.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Dictionary, Int16, Int32, Int8, Utf8, type Data } from 'apache-arrow';
import { dictionaryColumn, dictionaryValues, listColumn, numericColumn, recordBatch, schemaOf } from '../../../runtime/data/arrow-build.js';
import { ArrowFileSink } from '../../../runtime/data/arrow-sink.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Sentence {
  tokens: string[];
  upos: string[];
  deprel: string[];
  head: number[];
}

/** The sentences of a CoNLL-U file, keeping only the lines whose ID is a plain integer. */
export async function readConllu(file: string): Promise<Sentence[]> {
  const sentences: Sentence[] = [];
  let current: Sentence = { tokens: [], upos: [], deprel: [], head: [] };
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      if (current.tokens.length > 0) sentences.push(current);
      current = { tokens: [], upos: [], deprel: [], head: [] };
      continue;
    }
    const fields = line.split('\t');
    if (fields.length !== 10) throw new Error(`${file}:${lineNumber}: expected 10 tab-separated fields, found ${fields.length}`);
    const [id, form, , upos, , , head, deprel] = fields as [string, string, string, string, string, string, string, string];
    if (!/^\d+$/.test(id)) continue; // multi-word token (3-4) or empty node (5.1)
    current.tokens.push(form);
    current.upos.push(upos);
    current.deprel.push(deprel);
    current.head.push(Number(head));
  }
  if (current.tokens.length > 0) sentences.push(current);
  return sentences;
}

/** A list<dictionary<utf8>> column from per-row string lists. */
function stringListColumn(rows: readonly string[][], id: number): Data {
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const offsets = new Int32Array(rows.length + 1);
  const codes: number[] = [];
  rows.forEach((row, r) => {
    for (const text of row) {
      let code = index.get(text);
      if (code === undefined) index.set(text, (code = dictionary.push(text) - 1));
      codes.push(code);
    }
    offsets[r + 1] = codes.length;
  });
  const n = dictionary.length;
  const type = new Dictionary(new Utf8(), n <= 128 ? new Int8() : n <= 32768 ? new Int16() : new Int32(), id);
  const indices = n <= 128 ? Int8Array.from(codes) : n <= 32768 ? Int16Array.from(codes) : Int32Array.from(codes);
  return listColumn(dictionaryColumn(type, indices as never, dictionaryValues(dictionary)), offsets);
}

function intListColumn(rows: readonly number[][]): Data {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((row, r) => (offsets[r + 1] = offsets[r]! + row.length));
  return listColumn(numericColumn(new Int16(), Int16Array.from(rows.flat())), offsets);
}

export async function convert(input: string, output: string): Promise<{ sentences: number; tokens: number; bytes: number }> {
  const sentences = await readConllu(input);
  const columns = [
    stringListColumn(sentences.map((s) => s.tokens), 0),
    stringListColumn(sentences.map((s) => s.upos), 1),
    stringListColumn(sentences.map((s) => s.deprel), 2),
    intListColumn(sentences.map((s) => s.head)),
  ];
  const schema = schemaOf(['tokens', 'upos', 'deprel', 'head'], columns);
  const temporary = `${output}.tmp`;
  const sink = await ArrowFileSink.create(temporary, 'file');
  let bytes: number;
  try {
    await sink.write(recordBatch(schema, columns));
    bytes = await sink.close();
  } catch (e) {
    await sink.abort();
    fs.rmSync(temporary, { force: true });
    throw e;
  }
  fs.renameSync(temporary, output);
  return { sentences: sentences.length, tokens: sentences.reduce((n, s) => n + s.tokens.length, 0), bytes };
}

async function main(): Promise<void> {
  for (const split of ['dev', 'test']) {
    const { sentences, tokens, bytes } = await convert(path.join(here, `en_ewt-ud-${split}.conllu`), path.join(here, `en_ewt-${split}.arrow`));
    console.log(`en_ewt-${split}.arrow: ${sentences} sentences, ${tokens} tokens, ${(bytes / 1e3).toFixed(0)} kB`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}

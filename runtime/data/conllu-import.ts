/**
 * `mtl data import FILE.conllu`: a CoNLL-U treebank to an Arrow IPC file, one row per sentence.
 *
 * Columns: `sent_id` (string, from the `# sent_id =` comment; null without one), `tokens`, `upos`, `xpos`, `deprel`
 * (list<string>) and `head` (list<int>: the 1-based position of each word's head, 0 for the root). The lists hold the
 * syntactic words: multi-word token lines (IDs like `3-4`) and empty nodes (IDs like `5.1`) are skipped, and counted
 * in the result, so every list of a row stays aligned with its tokens. Strings are dictionary-encoded with the
 * narrowest index type that fits, to keep the files small. Written under a temporary name and renamed when complete.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { Dictionary, Int16, Int32, Int8, Utf8, type Data } from 'apache-arrow';
import { UserError } from '../errors.js';
import { dictionaryColumn, dictionaryValues, listColumn, numericColumn, recordBatch, schemaOf, utf8Column } from './arrow-build.js';
import { ArrowFileSink } from './arrow-sink.js';
import { displayPath } from './display-path.js';

export interface Sentence {
  sentId: string | null;
  tokens: string[];
  upos: string[];
  xpos: string[];
  deprel: string[];
  head: number[];
}

export interface ConlluContents {
  sentences: Sentence[];
  /** Lines skipped because they are not syntactic words. */
  multiwordTokens: number;
  emptyNodes: number;
}

export interface ImportConlluResult {
  output: string;
  sentences: number;
  tokens: number;
  multiwordTokens: number;
  emptyNodes: number;
  bytes: number;
}

const FIELDS = 10;
const emptySentence = (): Sentence => ({ sentId: null, tokens: [], upos: [], xpos: [], deprel: [], head: [] });

/** The sentences of a CoNLL-U file; a malformed word line is a UserError naming the file and line. */
export async function readConllu(file: string): Promise<ConlluContents> {
  const display = displayPath(file);
  if (!fs.existsSync(file)) throw new UserError(`${display} does not exist`);
  const contents: ConlluContents = { sentences: [], multiwordTokens: 0, emptyNodes: 0 };
  let current = emptySentence();
  const finish = () => {
    if (current.tokens.length > 0) contents.sentences.push(current);
    current = emptySentence();
  };
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    const at = `${display}:${lineNumber}`;
    if (line.startsWith('#')) {
      const sentId = /^#\s*sent_id\s*=\s*(.*)$/.exec(line);
      if (sentId) current.sentId = sentId[1]!.trim();
      continue;
    }
    if (line.trim() === '') {
      finish();
      continue;
    }
    const fields = line.split('\t');
    if (fields.length !== FIELDS) {
      throw new UserError(`${at}: expected ${FIELDS} tab-separated fields (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC), found ${fields.length}`);
    }
    const [id, form, , upos, xpos, , head, deprel] = fields as [string, string, string, string, string, string, string, string];
    if (/^\d+-\d+$/.test(id)) {
      contents.multiwordTokens++;
      continue;
    }
    if (/^\d+\.\d+$/.test(id)) {
      contents.emptyNodes++;
      continue;
    }
    if (!/^\d+$/.test(id)) throw new UserError(`${at}: expected a word ID (1, 2, …), a range (3-4) or an empty node (5.1), found "${id}"`);
    const expected = current.tokens.length + 1;
    if (Number(id) !== expected) throw new UserError(`${at}: expected word ID ${expected} (IDs count from 1 in each sentence), found ${id}`);
    if (!/^\d+$/.test(head)) throw new UserError(`${at}: expected HEAD to be a word position (0 for the root), found "${head}"`);
    current.tokens.push(form);
    current.upos.push(upos);
    current.xpos.push(xpos);
    current.deprel.push(deprel);
    current.head.push(Number(head));
  }
  finish();
  return contents;
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
  const values = rows.flat();
  const narrow = values.every((v) => v <= 32767);
  const items: Data = narrow ? numericColumn(new Int16(), Int16Array.from(values)) : numericColumn(new Int32(), Int32Array.from(values));
  return listColumn(items, offsets);
}

export async function importConllu(options: { input: string; output: string }): Promise<ImportConlluResult> {
  const { sentences, multiwordTokens, emptyNodes } = await readConllu(options.input);
  if (sentences.length === 0) throw new UserError(`${displayPath(options.input)} holds no sentence (no word lines)`);
  const names = ['sent_id', 'tokens', 'upos', 'xpos', 'deprel', 'head'];
  const columns = [
    utf8Column(sentences.map((s) => s.sentId)),
    stringListColumn(sentences.map((s) => s.tokens), 0),
    stringListColumn(sentences.map((s) => s.upos), 1),
    stringListColumn(sentences.map((s) => s.xpos), 2),
    stringListColumn(sentences.map((s) => s.deprel), 3),
    intListColumn(sentences.map((s) => s.head)),
  ];
  const temporary = `${options.output}.tmp`;
  const sink = await ArrowFileSink.create(temporary, 'file');
  let bytes: number;
  try {
    await sink.write(recordBatch(schemaOf(names, columns), columns));
    bytes = await sink.close();
  } catch (e) {
    await sink.abort();
    fs.rmSync(temporary, { force: true });
    throw e;
  }
  fs.renameSync(temporary, options.output);
  const tokens = sentences.reduce((n, s) => n + s.tokens.length, 0);
  return { output: options.output, sentences: sentences.length, tokens, multiwordTokens, emptyNodes, bytes };
}

/** What `mtl data import` prints. */
export function conlluSummary(result: ImportConlluResult): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `wrote ${result.output}: ${plural(result.sentences, 'sentence')}, ${plural(result.tokens, 'word')}; ` +
    `skipped ${plural(result.multiwordTokens, 'multi-word token')} and ${plural(result.emptyNodes, 'empty node')} (the lists hold the syntactic words)`;
}

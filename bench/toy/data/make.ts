/**
 * Writes rows.arrow, the data of the toy problem (bench/toy/toy.mtl). The problem has no data: its variable is a
 * `point` backbone, which every row gets whatever it holds, and its losses read no target. A run still reads rows,
 * for its batches' size and for each split, so each row holds a constant: 100 training rows (one pass over them, at
 * one row per batch, is an epoch of 100 steps: the trainer reopens the file once per pass, not once per step), and
 * one row each to validate and test on. Regenerate with:
 *   npx tsx bench/toy/data/make.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Float64, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';

const here = path.dirname(fileURLToPath(import.meta.url));

const TRAIN_ROWS = 100;
const parts = [...Array<string>(TRAIN_ROWS).fill('train'), 'valid', 'test'];
const table = new Table({
  part: vectorFromArray(parts, new Utf8()),
  one: vectorFromArray(parts.map(() => 1), new Float64()),
});

const out = path.join(here, 'rows.arrow');
fs.writeFileSync(out, tableToIPC(table, 'file'));
console.log(`${path.relative(process.cwd(), out)}: ${table.numRows} rows, ${fs.statSync(out).size} bytes`);

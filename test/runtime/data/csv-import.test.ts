/** CSV to Arrow: types, nulls, dictionaries, gzip, and errors that leave no output behind. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { tableFromIPC, type Table } from 'apache-arrow';
import { parseColumnSpec } from '../../../runtime/data/column-spec.js';
import { importCsv } from '../../../runtime/data/csv-import.js';
import { temporaryDirectory, userErrorOf } from './fixtures.js';

const gzip = promisify(zlib.gzip);

const CSV = ['id,score,name,flag,note', '1,0.5,ann,true,"hello, world"', '2,,bob,false,', '-3,2e3,ann,,?', '4,7,"cy ""c""",1,x'].join('\n') + '\n';

async function readTable(file: string): Promise<Table> {
  return tableFromIPC(await fs.readFile(file));
}

function columnValues(table: Table, name: string): unknown[] {
  return Array.from(table.getChild(name)!);
}

describe('importCsv', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const at = (name: string) => path.join(tmp.dir, name);

  before(async () => {
    tmp = await temporaryDirectory();
    await fs.writeFile(at('people.csv'), CSV);
    await fs.writeFile(at('people.csv.gz'), await gzip(CSV));
  });
  after(() => tmp.remove());

  it('infers int/float/string, takes declared types, reads empty fields as nulls', async () => {
    const result = await importCsv({ input: at('people.csv'), output: at('people.arrow'), columns: parseColumnSpec('flag:bool') });
    assert.deepEqual(result.columns, [
      { name: 'id', type: 'int', encoding: 'plain' },
      { name: 'score', type: 'float', encoding: 'plain' },
      { name: 'name', type: 'string', encoding: 'dictionary' },
      { name: 'flag', type: 'bool', encoding: 'plain' },
      { name: 'note', type: 'string', encoding: 'dictionary' },
    ]);
    assert.equal(result.rows, 4);
    const table = await readTable(at('people.arrow'));
    assert.deepEqual(
      table.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
      ['id:Int32', 'score:Float64', 'name:Dictionary<Int8, Utf8>', 'flag:Bool', 'note:Dictionary<Int8, Utf8>'],
    );
    assert.deepEqual(columnValues(table, 'id'), [1, 2, -3, 4]);
    assert.deepEqual(columnValues(table, 'score'), [0.5, null, 2000, 7]);
    assert.deepEqual(columnValues(table, 'name'), ['ann', 'bob', 'ann', 'cy "c"']);
    assert.deepEqual(columnValues(table, 'flag'), [true, false, null, true]);
    assert.deepEqual(columnValues(table, 'note'), ['hello, world', null, '?', 'x']);
  });

  it('reads gzip-compressed input to the same table', async () => {
    await importCsv({ input: at('people.csv.gz'), output: at('from-gz.arrow'), columns: parseColumnSpec('flag:bool') });
    const plain = await readTable(at('people.arrow'));
    const fromGz = await readTable(at('from-gz.arrow'));
    assert.deepEqual(fromGz.toArray().map((r) => r.toJSON()), plain.toArray().map((r) => r.toJSON()));
  });

  it('names headerless columns from the spec, trims, splits on another delimiter, and honours --null', async () => {
    await fs.writeFile(at('raw.txt'), '38; Private; ?\n44; ?; NA\n');
    await importCsv({
      input: at('raw.txt'),
      output: at('raw.arrow'),
      header: false,
      delimiter: ';',
      trim: true,
      nullValues: ['NA'],
      columns: parseColumnSpec('age:float,class,third'),
    });
    const table = await readTable(at('raw.arrow'));
    assert.deepEqual(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`), ['age:Float64', 'class:Dictionary<Int8, Utf8>', 'third:Dictionary<Int8, Utf8>']);
    assert.deepEqual(columnValues(table, 'age'), [38, 44]);
    assert.deepEqual(columnValues(table, 'class'), ['Private', '?']);
    assert.deepEqual(columnValues(table, 'third'), ['?', null]);
  });

  it('writes several record batches sharing one dictionary, and keeps big integers as floats', async () => {
    const lines = ['k,big'];
    for (let i = 0; i < 11; i++) lines.push(`${['x', 'y', 'z'][i % 3]},${i === 5 ? 3000000000 : i}`);
    await fs.writeFile(at('many.csv'), lines.join('\n'));
    const result = await importCsv({ input: at('many.csv'), output: at('many.arrow'), batchRows: 4 });
    assert.deepEqual(result.columns.map((c) => c.type), ['string', 'float']);
    const table = await readTable(at('many.arrow'));
    assert.deepEqual(table.batches.map((b) => b.numRows), [4, 4, 3]);
    assert.deepEqual(columnValues(table, 'k'), ['x', 'y', 'z', 'x', 'y', 'z', 'x', 'y', 'z', 'x', 'y']);
    assert.deepEqual(columnValues(table, 'big'), [0, 1, 2, 3, 4, 3000000000, 6, 7, 8, 9, 10]);
  });

  it('names file, line, column, expected type and value of a bad value, and leaves no file behind', async () => {
    await fs.writeFile(at('bad.csv'), 'age,name\n31,ann\n4O,bob\n');
    const message = await userErrorOf(importCsv({ input: at('bad.csv'), output: at('bad.arrow'), columns: parseColumnSpec('age:int') }));
    assert.equal(message, `${at('bad.csv')}, line 3: column "age" should hold int values but has "4O"`);
    const left = (await fs.readdir(tmp.dir)).filter((f) => f.includes('bad.arrow'));
    assert.deepEqual(left, []);
  });

  it('reports a ragged line, a missing file and a header/spec mismatch', async () => {
    await fs.writeFile(at('ragged.csv'), 'a,b\n1,2\n3\n');
    assert.match(await userErrorOf(importCsv({ input: at('ragged.csv'), output: at('ragged.arrow') })), new RegExp(`^${escape(at('ragged.csv'))}: .*line 3`));
    assert.equal(await userErrorOf(importCsv({ input: at('nope.csv'), output: at('nope.arrow') })), `${at('nope.csv')} does not exist`);
    assert.equal(
      await userErrorOf(importCsv({ input: at('people.csv'), output: at('x.arrow'), columns: parseColumnSpec('agee:int') })),
      `--columns names column "agee", but the header of ${at('people.csv')} has no such column (it has: id, score, name, flag, note)`,
    );
    assert.equal(
      await userErrorOf(importCsv({ input: at('people.csv'), output: at('x.arrow'), header: false, columns: parseColumnSpec('a,b') })),
      `--columns describes 2 columns, but the lines of ${at('people.csv')} have 5 fields`,
    );
  });
});

describe('parseColumnSpec', () => {
  it('reads names, types, and types by position', () => {
    assert.deepEqual(parseColumnSpec('age:float, education:string,x,:int'), [
      { name: 'age', type: 'float' },
      { name: 'education', type: 'string' },
      { name: 'x' },
      { type: 'int' },
    ]);
  });

  it('rejects unknown types, repeated names and empty entries', async () => {
    assert.equal(await userErrorOf(Promise.resolve().then(() => parseColumnSpec('age:flaot'))), '--columns: "age:flaot" has the unknown type "flaot" (types: float, int, string, bool)');
    assert.equal(await userErrorOf(Promise.resolve().then(() => parseColumnSpec('a,b,a:int'))), '--columns: column "a" is given twice');
    assert.equal(await userErrorOf(Promise.resolve().then(() => parseColumnSpec('a,,b'))), '--columns: entry 2 is empty (in "a,,b")');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

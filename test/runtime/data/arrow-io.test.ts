/** Reading Arrow IPC files and streams alike, writing with ArrowFileSink, saving what was fitted. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Float64, Int16, Message, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { numericColumn, recordBatch, schemaOf } from '../../../runtime/data/arrow-build.js';
import { openArrowFile } from '../../../runtime/data/arrow-file.js';
import { ArrowFileSink } from '../../../runtime/data/arrow-sink.js';
import { loadFitted, openJobData, saveFitted } from '../../../runtime/data/loader.js';
import { arrowTypes, collect, inputColumn, makeJob, temporaryDirectory, userErrorOf, writeArrow, writeArrowInBatches } from './fixtures.js';

describe('Arrow IO', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const at = (name: string) => path.join(tmp.dir, name);

  before(async () => {
    tmp = await temporaryDirectory();
  });
  after(() => tmp.remove());

  it('streams the IPC file and stream formats alike', async () => {
    const columns = { id: Float64Array.from({ length: 50 }, (_, i) => i) };
    await writeArrow(at('f.arrow'), columns, 'file');
    await writeArrow(at('s.arrows'), columns, 'stream');
    const file = await openArrowFile(at('f.arrow'), 'f.arrow');
    const stream = await openArrowFile(at('s.arrows'), 's.arrows');
    assert.deepEqual([file.layout, stream.layout], ['file', 'stream']);
    const rows = async (reader: typeof file) => {
      const out: number[] = [];
      for await (const batch of reader.batches()) out.push(...(batch.getChild('id')!.toArray() as Float64Array));
      return out;
    };
    assert.deepEqual(await rows(file), Array.from(columns.id));
    assert.deepEqual(await rows(stream), Array.from(columns.id));

    const job = makeJob({
      root: tmp.dir,
      files: ['f.arrow', 's.arrows'],
      columns: [{ name: 'id', type: 'float' }],
      split: { kind: 'ratio', train: 0.5, valid: 0.5, test: 0, seed: 1 },
      features: [{ id: 'id', column: 'id', transform: { kind: 'raw' }, shape: [1] }],
      input: { features: ['id'], kind: 'vector', shape: [1] },
      tasks: [],
    });
    const data = await openJobData(job);
    const all = [...inputColumn(await collect(data, 'train'), 'x', 0), ...inputColumn(await collect(data, 'valid'), 'x', 0)];
    assert.equal(all.length, 100);
    assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => Math.floor(i / 2)));
  });

  it('reads the same values read ahead (the loader\'s way: headers from 64 KiB blocks, bodies straight) as message by message', { timeout: 60_000 }, async () => {
    // 1.3M float64 values in 13 record batches of 100,000 rows (10.4 MB): headers at many offsets within the 64 KiB blocks.
    const values = Float64Array.from({ length: 1_300_000 }, (_, i) => i * 0.5 - 7);
    await writeArrowInBatches(at('big.arrow'), { v: values }, 100_000);
    await fs.writeFile(at('big.arrows'), tableToIPC(tableFromIPC(await fs.readFile(at('big.arrow'))), 'stream'));
    const read = async (file: string, readAhead: boolean, reuseBuffers = false) => {
      const reader = await openArrowFile(at(file), file, { readAhead, reuseBuffers });
      const out = new Float64Array(values.length);
      let n = 0;
      for await (const batch of reader.batches()) {
        out.set(batch.getChild('v')!.toArray() as Float64Array, n);
        n += batch.numRows;
      }
      return out.subarray(0, n);
    };
    for (const file of ['big.arrow', 'big.arrows']) {
      assert.deepEqual(await read(file, true), values, file);
      assert.deepEqual(await read(file, false), values, file);
      assert.deepEqual(await read(file, true, true), values, `${file}, buffers reused`);
    }
  });

  it('reads record batches into reused buffers: each valid until the next is asked for, reads side by side apart, dictionaries and nulls kept', { timeout: 60_000 }, async () => {
    // Three record batches with a dictionary column and nulls, read twice side by side, a batch of each in turn.
    const n = 30_000;
    const columns = {
      x: { values: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : i * 0.25)), type: arrowTypes.float() },
      c: { values: Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : ['red', 'green', 'blue'][i % 3]!)), type: arrowTypes.string() },
    };
    await writeArrow(at('dict.arrow'), columns);
    const table = tableFromIPC(await fs.readFile(at('dict.arrow')));
    const sliced = [table.slice(0, 10_000), table.slice(10_000, 20_000), table.slice(20_000)];
    await fs.writeFile(at('dict3.arrow'), tableToIPC(new Table(sliced.flatMap((t) => t.batches)), 'file'));
    await fs.copyFile(at('dict3.arrow'), at('dict3-copy.arrow'));
    const a = (await openArrowFile(at('dict3.arrow'), 'dict3.arrow', { readAhead: true, reuseBuffers: true })).batches();
    const b = (await openArrowFile(at('dict3-copy.arrow'), 'dict3-copy.arrow', { readAhead: true, reuseBuffers: true })).batches();
    const seen: { x: (number | null)[]; c: (string | null)[] }[] = [];
    for (let k = 0; ; k++) {
      const [left, right] = [await a.next(), await b.next()];
      assert.equal(left.done, right.done);
      if (left.done || right.done) break;
      for (const batch of [left.value, right.value]) {
        // Read only now, after the other file's batch (and the next of this one's) has been read.
        assert.equal(batch.numRows, 10_000, `batch ${k}`);
        seen.push({ x: [...batch.getChild('x')!.toArray()].map((v, i) => (batch.getChild('x')!.isValid(i) ? v : null)), c: [...batch.getChild('c')!] });
      }
    }
    const expectedX = columns.x.values;
    const expectedC = columns.c.values;
    assert.deepEqual(seen.filter((_, i) => i % 2 === 0).flatMap((s) => s.x), expectedX);
    assert.deepEqual(seen.filter((_, i) => i % 2 === 1).flatMap((s) => s.x), expectedX);
    assert.deepEqual(seen.filter((_, i) => i % 2 === 0).flatMap((s) => s.c), expectedC);
    assert.deepEqual(seen.filter((_, i) => i % 2 === 1).flatMap((s) => s.c), expectedC);
    // A reader's buffers go back for other reads only once its consumer is done: the last batch, still in use, stays
    // whole while another read takes buffers (the read ahead past it must not give them back).
    const held = (await openArrowFile(at('dict3.arrow'), 'dict3.arrow', { readAhead: true, reuseBuffers: true })).batches();
    let last = null;
    for (let k = 0; k < 3; k++) last = (await held.next()).value;
    const other = (await openArrowFile(at('dict3-copy.arrow'), 'dict3-copy.arrow', { readAhead: true, reuseBuffers: true })).batches();
    await other.next();
    assert.deepEqual([...last!.getChild('c')!], expectedC.slice(20_000));
    assert.equal((await held.next()).done, true);
    await other.return(undefined);
  });

  it('says a record batch whose metadata is garbage is truncated or corrupt, read into reused buffers', async () => {
    await writeArrowInBatches(at('two.arrow'), { v: Float64Array.from({ length: 2000 }, (_, i) => i) }, 1000);
    const bytes = new Uint8Array(await fs.readFile(at('two.arrow')));
    const reader = await openArrowFile(at('two.arrow'), 'two.arrow', { reuseBuffers: true });
    await reader.close();
    // The second record batch's block, from the footer: its metadata (after the 8-byte prefix) overwritten.
    const reading = (await import('apache-arrow')).RecordBatchReader.from(bytes);
    reading.open();
    const block = reading.footer!.getRecordBatch(1)!;
    bytes.fill(0xab, block.offset + 8, block.offset + block.metaDataLength);
    await fs.writeFile(at('garbled.arrow'), bytes);
    const garbled = await openArrowFile(at('garbled.arrow'), 'garbled.arrow', { readAhead: true, reuseBuffers: true });
    const sizes: number[] = [];
    const message = await userErrorOf((async () => {
      for await (const batch of garbled.batches()) sizes.push(batch.numRows);
    })());
    assert.equal(message, 'garbled.arrow is truncated or corrupt (a record batch cannot be read)');
    assert.deepEqual(sizes, [1000]);
  });

  it('reads the footer itself when buffers are reused: the same schema and batches, and a damaged footer is refused as corrupt', async () => {
    await writeArrowInBatches(at('three.arrow'), { v: Float64Array.from({ length: 3000 }, (_, i) => i * 0.5) }, 1000);
    const bytes = new Uint8Array(await fs.readFile(at('three.arrow')));
    const read = async (name: string, reuseBuffers: boolean) => {
      const reader = await openArrowFile(at(name), name, { readAhead: true, reuseBuffers });
      const values: number[] = [];
      for await (const batch of reader.batches()) values.push(...(batch.getChild('v')!.toArray() as Float64Array));
      return { fields: reader.schema.fields.map((f) => `${f.name}: ${f.type}`), values };
    };
    assert.deepEqual(await read('three.arrow', true), await read('three.arrow', false));
    const tailLength = 10; // the footer's length (4 bytes) and the magic bytes
    const footerLength = new DataView(bytes.buffer).getInt32(bytes.length - tailLength, true);
    const damaged: [string, (b: Uint8Array) => Uint8Array][] = [
      ['cut.arrow', (b) => b.subarray(0, 40)],
      ['no-magic.arrow', (b) => b.slice().fill(0x20, b.length - 6)],
      ['long-footer.arrow', (b) => { const c = b.slice(); new DataView(c.buffer).setInt32(c.length - tailLength, c.length, true); return c; }],
      ['garbage-footer.arrow', (b) => b.slice().fill(0xab, b.length - tailLength - footerLength, b.length - tailLength)],
    ];
    for (const [name, damage] of damaged) {
      await fs.writeFile(at(name), damage(bytes));
      const message = await userErrorOf(read(name, true));
      assert.equal(message, `${name} is truncated or corrupt (it starts like an Arrow IPC file but its footer or schema cannot be read)`, name);
    }
  });

  it('frames an IPC stream itself when buffers are reused: the same batches and dictionaries, no end marker needed, a garbled message refused', async () => {
    const n = 3000;
    const columns = {
      x: Float64Array.from({ length: n }, (_, i) => i * 0.25),
      c: { values: Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : ['red', 'green', 'blue'][i % 3]!)), type: arrowTypes.string() },
    };
    await writeArrow(at('dict.arrows'), columns, 'stream');
    const table = tableFromIPC(await fs.readFile(at('dict.arrows')));
    const stream = new Uint8Array(tableToIPC(new Table([0, 1000, 2000].flatMap((from) => table.slice(from, from + 1000).batches)), 'stream'));
    const read = async (name: string, reuseBuffers: boolean) => {
      const reader = await openArrowFile(at(name), name, { readAhead: true, reuseBuffers });
      const rows: unknown[][] = [];
      // Each batch read before the next is asked for, as the contract of reused buffers asks.
      for await (const batch of reader.batches()) rows.push([...batch.getChild('x')!.toArray()], [...batch.getChild('c')!]);
      return { fields: reader.schema.fields.map((f) => `${f.name}: ${f.type}`), rows };
    };
    await fs.writeFile(at('three.arrows'), stream);
    const expected = await read('three.arrows', false);
    assert.equal(expected.rows.length, 6);
    assert.deepEqual(await read('three.arrows', true), expected);
    // Without its end-of-stream marker (the last 8 bytes), the stream ends at the end of the file.
    await fs.writeFile(at('unended.arrows'), stream.subarray(0, stream.length - 8));
    assert.deepEqual(await read('unended.arrows', true), expected);

    // The messages' starts: schema, dictionary, then the record batches.
    const starts: number[] = [];
    for (let position = 0; ; ) {
      const view = new DataView(stream.buffer, stream.byteOffset + position);
      const length = view.getInt32(4, true);
      if (length === 0) break;
      starts.push(position);
      position += 8 + length + Number(Message.decode(stream.subarray(position + 8, position + 8 + length)).bodyLength);
    }
    assert.equal(starts.length, 5);
    // The second record batch's metadata garbled: apache-arrow's stream reader skipped it and ended without a word.
    const garbled = stream.slice();
    garbled.fill(0xab, starts[3]! + 8, starts[4]!);
    await fs.writeFile(at('garbled.arrows'), garbled);
    const sizes: number[] = [];
    const message = await userErrorOf((async () => {
      for await (const batch of (await openArrowFile(at('garbled.arrows'), 'garbled.arrows', { readAhead: true, reuseBuffers: true })).batches()) sizes.push(batch.numRows);
    })());
    assert.equal(message, 'garbled.arrows is truncated or corrupt (a record batch cannot be read)');
    assert.deepEqual(sizes, [1000]);
    // The schema's metadata garbled.
    const noSchema = stream.slice();
    noSchema.fill(0xab, 8, starts[1]!);
    await fs.writeFile(at('no-schema.arrows'), noSchema);
    assert.equal(await userErrorOf(read('no-schema.arrows', true)), 'no-schema.arrows is truncated or corrupt (it starts like an Arrow IPC stream but its schema cannot be read)');
  });

  it('writes record batches to disk one at a time with ArrowFileSink', async () => {
    const batchOf = (start: number) => {
      const a = numericColumn(new Float64(), Float64Array.from({ length: 1000 }, (_, i) => start + i));
      const b = numericColumn(new Int16(), Int16Array.from({ length: 1000 }, (_, i) => (start + i) % 100));
      return [a, b];
    };
    const schema = schemaOf(['a', 'b'], batchOf(0));
    const sink = await ArrowFileSink.create(at('sink.arrow'));
    for (let k = 0; k < 5; k++) await sink.write(recordBatch(schema, batchOf(k * 1000)));
    const bytes = await sink.close();
    assert.equal(bytes, (await fs.stat(at('sink.arrow'))).size);
    const table = tableFromIPC(await fs.readFile(at('sink.arrow')));
    assert.equal(table.batches.length, 5);
    assert.deepEqual(Array.from(table.getChild('a')!.toArray() as Float64Array), Array.from({ length: 5000 }, (_, i) => i));
    assert.equal(table.getChild('b')!.get(4321), 21);
  });

  it('saves and loads fitted features', async () => {
    const fitted = { features: { a: { mean: 1.5, std: 0.25 }, b: { vocab: ['<pad>', '<unk>', 'x'] } }, classes: { t: ['no', 'yes'] }, rows: { d: { train: 3, valid: 1, test: 0 } } };
    await saveFitted(at('features.json'), fitted);
    assert.deepEqual(await loadFitted(at('features.json')), fitted);
    assert.deepEqual((await fs.readdir(tmp.dir)).filter((f) => f.endsWith('.tmp')), []);
    await fs.writeFile(at('broken.json'), '{"features": {}');
    assert.match(await userErrorOf(loadFitted(at('broken.json'))), /broken\.json is not valid JSON \(/);
    assert.match(await userErrorOf(loadFitted(at('absent.json'))), /absent\.json does not exist$/);
  });
});

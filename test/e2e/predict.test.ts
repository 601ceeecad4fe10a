/**
 * `mtl export` and `mtl predict` through the CLI on a small trained run: predictions of an Arrow and of a CSV file
 * equal the library's (and `mtl eval --predictions`' for the test split), `--keep` copies an id, `--tasks` writes only
 * those tasks' columns, a bad row stops with an error naming its line and column and leaves no output, and
 * `--skip-bad` writes it to the side file and counts it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RecordBatchReader, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { loadModel } from '../../runtime/serving/load.js';
import { useCpu } from '../runtime/helpers/tf.js';
import { servedRows, trainServedRun } from '../runtime/helpers/served-run.js';
import { looksLikeUserError, mtl } from './cli.js';

const read = (file: string): Table => tableFromIPC(readFileSync(file));
const column = (table: Table, name: string): unknown[] => table.getChild(name)!.toArray() as unknown[];

describe('mtl export and mtl predict', () => {
  let dir = '';
  let run = '';
  let pkg = '';
  before(async () => {
    await useCpu();
    dir = mkdtempSync(join(tmpdir(), 'mtl-predict-'));
    run = await trainServedRun(dir);
    pkg = join(dir, 'package');
    const exported = mtl(['export', run, '-o', pkg, '--backend', 'cpu']);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stderr, /^exported .* to .*package: served \d{8}T\d{9}Z-[0-9a-f]{12}, 3 tasks, with a tf.LayersModel$/m);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('predicts an Arrow file as the library does, keeping the id, and the test split as mtl eval does', async () => {
    const out = join(dir, 'all.arrow');
    const predicted = mtl(['predict', pkg, join(dir, 'rows.arrow'), '-o', out, '--keep', 'id', '--batch-size', '50', '--backend', 'cpu']);
    assert.equal(predicted.status, 0, predicted.stderr);
    assert.match(predicted.stderr, /^wrote .*all\.arrow: 240 rows \(/m);
    const table = read(out);
    assert.deepEqual(table.schema.fields.map((f) => f.name), ['id', 'flagged.probability', 'level.class', 'level.score', 'price.value']);
    assert.deepEqual(Array.from(column(table, 'id') as number[]), servedRows().map((r) => r.id));
    const model = await loadModel(pkg);
    const expected = model.predictRows(servedRows());
    model.dispose();
    assert.deepEqual(Array.from(column(table, 'flagged.probability') as number[]), expected.map((r) => Math.fround((r.flagged as { probability: number }).probability)));
    assert.deepEqual(column(table, 'level.class'), expected.map((r) => (r.level as { class: string }).class));
    assert.deepEqual(Array.from(column(table, 'price.value') as number[]), expected.map((r) => Math.fround((r.price as { value: number }).value)));

    const evaluated = join(dir, 'eval.arrow');
    const scored = mtl(['eval', run, '--split', 'test', '--predictions', evaluated, '--backend', 'cpu']);
    assert.equal(scored.status, 0, scored.stderr);
    const test = read(evaluated);
    const ids = new Set(servedTestIds(run));
    const mine = column(table, 'flagged.probability').filter((_, i) => ids.has(i));
    assert.equal(test.numRows, ids.size);
    assert.deepEqual(column(test, 'flagged.probability'), mine);
    assert.deepEqual(column(test, 'level.class'), column(table, 'level.class').filter((_, i) => ids.has(i)));
  });

  it('predicts a CSV file, only the tasks asked for; a bad row stops it, or with --skip-bad goes to the side file', () => {
    const rows = servedRows().slice(0, 5);
    const lines = ['id,age,hours,color', ...rows.map((r) => `${r.id},${r.age},${r.hours},${r.color}`)];
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const out = join(dir, 'csv.arrow');
    const predicted = mtl(['predict', run, csv, '-o', out, '--tasks', 'level', '--keep', 'id,color', '--backend', 'cpu']);
    assert.equal(predicted.status, 0, predicted.stderr);
    const table = read(out);
    assert.deepEqual(table.schema.fields.map((f) => f.name), ['id', 'color', 'level.class', 'level.score']);
    // A kept column the model does not read is kept as its text.
    assert.deepEqual(column(table, 'id'), rows.map((r) => String(r.id)));
    assert.deepEqual(column(table, 'color'), rows.map((r) => r.color));
    const arrow = read(join(dir, 'all.arrow'));
    assert.deepEqual(column(table, 'level.score'), column(arrow, 'level.score').slice(0, 5));

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${[...lines.slice(0, 3), '99,forty,40,red', ...lines.slice(3)].join('\n')}\n`);
    const badOut = join(dir, 'bad.arrow');
    const stopped = mtl(['predict', run, bad, '-o', badOut, '--backend', 'cpu']);
    assert.equal(stopped.status, 1);
    assert.ok(looksLikeUserError(stopped.stderr), stopped.stderr);
    assert.match(stopped.stderr, /^error: line 4 of .*bad\.csv: column `age`: expected a number, found "forty"$/m);
    assert.equal(existsSync(badOut), false, 'no output left behind');

    const skipped = mtl(['predict', run, bad, '-o', badOut, '--skip-bad', '--keep', 'id', '--backend', 'cpu']);
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stderr, /: 5 rows; 1 bad rows skipped, written to .*bad\.rejected\.jsonl/);
    assert.deepEqual(column(read(badOut), 'id'), rows.map((r) => String(r.id)));
    const rejected = readFileSync(join(dir, 'bad.rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as object);
    assert.deepEqual(rejected, [{ where: `line 4 of ${bad.startsWith(process.cwd()) ? bad.slice(process.cwd().length + 1) : bad}`, column: 'age', reason: 'expected a number, found "forty"', values: { age: 'forty', hours: '40', color: 'red', id: '99' } }]);
  });

  it('predicts a file of several record batches as one, and refuses one whose record batch metadata is garbage (no hang)', () => {
    const whole = readFileSync(join(dir, 'rows.arrow'));
    const table = tableFromIPC(whole);
    const split = new Uint8Array(tableToIPC(new Table([...table.slice(0, 70).batches, ...table.slice(70, 160).batches, ...table.slice(160).batches]), 'file'));
    writeFileSync(join(dir, 'split.arrow'), split);
    const out = join(dir, 'split-out.arrow');
    const predicted = mtl(['predict', pkg, join(dir, 'split.arrow'), '-o', out, '--keep', 'id', '--batch-size', '50', '--backend', 'cpu']);
    assert.equal(predicted.status, 0, predicted.stderr);
    const expected = read(join(dir, 'all.arrow'));
    const got = read(out);
    for (const name of ['id', 'flagged.probability', 'level.class', 'price.value']) assert.deepEqual(column(got, name), column(expected, name), name);

    // The second record batch's metadata overwritten: apache-arrow's file reader would spin on it at 100% CPU.
    const reading = RecordBatchReader.from(split);
    reading.open();
    const block = reading.footer!.getRecordBatch(1)!;
    split.fill(0xab, block.offset + 8, block.offset + block.metaDataLength);
    writeFileSync(join(dir, 'garbled.arrow'), split);
    const garbledOut = join(dir, 'garbled-out.arrow');
    const refused = mtl(['predict', pkg, join(dir, 'garbled.arrow'), '-o', garbledOut, '--backend', 'cpu'], { timeoutMs: 60_000 });
    assert.equal(refused.status, 1, refused.stderr);
    assert.ok(looksLikeUserError(refused.stderr), refused.stderr);
    assert.match(refused.stderr, /garbled\.arrow is truncated or corrupt \(a record batch cannot be read\)/);
    assert.equal(existsSync(garbledOut), false, 'no partial output');
  });

  it('says what is wrong with a file that lacks a column the model reads, or a model directory that is none', () => {
    const csv = join(dir, 'short.csv');
    writeFileSync(csv, 'id,age\n1,30\n');
    const missing = mtl(['predict', pkg, csv, '-o', join(dir, 'short.arrow')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^error: .*short\.csv has no column "hours", "color" \(its header names: id, age; the model reads age, hours, color\)$/m);
    const none = mtl(['predict', dir, csv, '-o', join(dir, 'none.arrow')]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /is neither a model package \(no manifest\.json, from `mtl export`\) nor a run directory/);
    const again = mtl(['export', run, '-o', pkg]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists; choose another directory, or give --force to replace it/);
  });
});

/** The row indices of the run's test split (ratio split, seed from its job). */
function servedTestIds(run: string): number[] {
  const job = JSON.parse(readFileSync(join(run, 'job.json'), 'utf8')) as { datasets: { split: { kind: 'ratio'; train: number; valid: number; test: number; seed: number } }[] };
  return testRows(job.datasets[0]!.split, servedRows().length);
}

import { assignByRatio, splitId } from '../../runtime/data/split.js';
function testRows(plan: { kind: 'ratio'; train: number; valid: number; test: number; seed: number }, n: number): number[] {
  const assigned = new Uint8Array(n);
  assignByRatio(plan, 0, assigned);
  return Array.from({ length: n }, (_, i) => i).filter((i) => assigned[i] === splitId('test'));
}

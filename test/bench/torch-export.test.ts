/**
 * bench/torch/export.ts, which writes the rows PyTorch trains on in `npm run bench:vs-torch`: the header's width and
 * row counts, files of exactly rows × width float32, and each row of every file the same row of the data (its labels
 * and its standardized numbers against the row of the Arrow file they came from).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exportJobRows, HEADER_FILE, type ExportHeader, type SplitFiles } from '../../bench/torch/export.js';
import { compileProgram } from '../../compiler/compile.js';
import { openJobData } from '../../runtime/data/loader.js';
import { temporaryDirectory } from '../runtime/data/fixtures.js';
import { SERVED_ROWS, servedDataset, servedRows, writeServedData } from '../runtime/helpers/served-run.js';

function floats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

describe('bench/torch/export.ts', () => {
  it('writes each split as rows × width float32 and a float per row and task, row for row', async () => {
    const { dir, remove } = await temporaryDirectory();
    try {
      const data = join(dir, 'rows.arrow');
      writeServedData(data);
      const program = join(dir, 'export.mtl');
      writeFileSync(program, `${servedDataset(data)}task flagged { features: person, target: flag, head: binary }
task price { features: person, target: price, head: regression }
share both = hard(backbone: mlp(units: [4]), tasks: [flagged, price])
`);
      const job = compileProgram({ file: program }).job;
      assert.ok(job);
      const out = join(dir, 'out');
      const header = await exportJobRows(job, out, ['train', 'valid']);
      assert.deepEqual(JSON.parse(readFileSync(join(out, HEADER_FILE), 'utf8')), header);

      const fitted = (await openJobData(job)).fitted;
      const rows = fitted.rows['rows']!;
      assert.equal(rows.train + rows.valid + rows.test, SERVED_ROWS);
      // Two standardized numbers and three colours.
      assert.deepEqual({ ...header, splits: undefined }, { format: 'mtl-rows', dtype: 'float32', byteOrder: 'little', width: 5, tasks: ['flagged', 'price'], splits: undefined });
      assert.deepEqual(header.splits, {
        train: { rows: rows.train, x: 'train.x.f32', labels: { flagged: 'train.flagged.f32', price: 'train.price.f32' } },
        valid: { rows: rows.valid, x: 'valid.x.f32', labels: { flagged: 'valid.flagged.f32', price: 'valid.price.f32' } },
      } satisfies ExportHeader['splits']);

      // Each exported row found again in the data by its price (all distinct), and checked against that row.
      const byPrice = new Map(servedRows().map((row) => [Math.fround(row['price'] as number), row]));
      assert.equal(byPrice.size, SERVED_ROWS);
      const age = fitted.features['rows.age.standardize']!;
      const seen = new Set<unknown>();
      for (const split of ['train', 'valid'] as const) {
        const files: SplitFiles = header.splits[split]!;
        const x = floats(join(out, files.x));
        const flagged = floats(join(out, files.labels['flagged']!));
        const price = floats(join(out, files.labels['price']!));
        assert.equal(x.length, files.rows * 5);
        assert.equal(flagged.length, files.rows);
        assert.equal(price.length, files.rows);
        for (let r = 0; r < files.rows; r++) {
          const row = byPrice.get(price[r]!);
          assert.ok(row, `${split} row ${r}: price ${price[r]} is no row's`);
          seen.add(row);
          assert.equal(flagged[r], row['flag'] ? 1 : 0);
          assert.equal(x[r * 5], Math.fround(((row['age'] as number) - age.mean!) / age.std!));
          const colors = Array.from(x.subarray(r * 5 + 2, r * 5 + 5));
          assert.deepEqual(colors.sort(), [0, 0, 1]);
        }
      }
      assert.equal(seen.size, rows.train + rows.valid, 'no row twice');
    } finally {
      await remove();
    }
  });
});

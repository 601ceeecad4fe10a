/**
 * Regenerates census-1994.arrow and census-1995.arrow from census-income.arrow: the rows of each survey year, with
 * the numeric columns (as float32) and three string columns. They are the two datasets of census-two-surveys.mtl.
 *   npx tsx examples/census/data/make-by-year.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dictionary, Float32, Int32, Utf8, tableFromIPC, tableToIPC, makeTable, vectorFromArray, type Vector } from 'apache-arrow';

const here = path.dirname(fileURLToPath(import.meta.url));
const NUMERIC = ['age', 'wage_per_hour', 'capital_gains', 'capital_losses', 'stock_dividends', 'num_emp', 'weeks_worked'];
const STRINGS = ['sex', 'marital_stat', 'income_50k'];

function main(): void {
  const census = tableFromIPC(fs.readFileSync(path.join(here, 'census-income.arrow')));
  const year = census.getChild('year')!;
  for (const survey of ['94', '95']) {
    const rows: number[] = [];
    for (let i = 0; i < census.numRows; i++) if (year.get(i) === survey) rows.push(i);
    const columns: Record<string, Vector> = {};
    for (const name of NUMERIC) {
      const source = census.getChild(name)!;
      columns[name] = vectorFromArray(Float32Array.from(rows, (i) => source.get(i) as number), new Float32());
    }
    for (const name of STRINGS) {
      const source = census.getChild(name)!;
      columns[name] = vectorFromArray(rows.map((i) => source.get(i) as string), new Dictionary(new Utf8(), new Int32()));
    }
    const out = path.join(here, `census-19${survey}.arrow`);
    fs.writeFileSync(out, tableToIPC(makeTable(columns as never), 'file'));
    console.log(`${path.relative(process.cwd(), out)}: ${rows.length} rows, ${(fs.statSync(out).size / 1e6).toFixed(1)} MB`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

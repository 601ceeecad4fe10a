/**
 * Regenerates census-income.arrow from census-income.test.gz:
 *   npx tsx examples/census/data/make.ts
 * Fields are separated by ", " (comma, then trimmed); '?' is kept as a string value, not a null.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCsv } from '../../../runtime/data/csv-import.js';
import { parseColumnSpec } from '../../../runtime/data/column-spec.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const NUMERIC = new Set(['age', 'wage_per_hour', 'capital_gains', 'capital_losses', 'stock_dividends', 'instance_weight', 'num_emp', 'weeks_worked']);
const NAMES = [
  'age', 'class_worker', 'det_ind_code', 'det_occ_code', 'education', 'wage_per_hour', 'hs_college', 'marital_stat',
  'major_ind_code', 'major_occ_code', 'race', 'hisp_origin', 'sex', 'union_member', 'unemp_reason', 'full_or_part_emp',
  'capital_gains', 'capital_losses', 'stock_dividends', 'tax_filer_stat', 'region_prev_res', 'state_prev_res',
  'det_hh_fam_stat', 'det_hh_summ', 'instance_weight', 'mig_chg_msa', 'mig_chg_reg', 'mig_move_reg', 'mig_same',
  'mig_prev_sunbelt', 'num_emp', 'fam_under_18', 'country_father', 'country_mother', 'country_self', 'citizenship',
  'own_or_self', 'vet_question', 'vet_benefits', 'weeks_worked', 'year', 'income_50k',
];

/** The --columns value of the equivalent `mtl data import` command. */
export const CENSUS_COLUMNS = NAMES.map((name) => `${name}:${NUMERIC.has(name) ? 'float' : 'string'}`).join(',');

async function main(): Promise<void> {
  const result = await importCsv({
    input: path.join(here, 'census-income.test.gz'),
    output: path.join(here, 'census-income.arrow'),
    columns: parseColumnSpec(CENSUS_COLUMNS),
    header: false,
    delimiter: ',',
    trim: true,
    nullValues: [], // no field is empty; '?' means "unknown" and stays a category of its own
  });
  console.log(`${path.relative(process.cwd(), result.output)}: ${result.rows} rows, ${result.columns.length} columns, ${(result.bytes / 1e6).toFixed(1)} MB`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}

/**
 * Assigning rows to the train / valid / test splits.
 * By ratio: a seeded hash of the row's index in its dataset (counted across its files in order),
 * so the assignment depends on neither the batch size nor how the rows are sharded into files.
 * By column: the value of a string column; rows whose value names no split belong to none.
 */
import type { SplitPlan } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { SplitName } from './api.js';
import { categoricalView } from './columns.js';
import type { Data } from 'apache-arrow';
import { hashIndex } from './rng.js';

export const SPLIT_NAMES: readonly SplitName[] = ['train', 'valid', 'test'];
/** Split ids stored per row: the index in SPLIT_NAMES, NO_SPLIT, or VALID_AND_TEST (a file in both, split by files). */
export const NO_SPLIT = 3;
export const VALID_AND_TEST = 4;

export function splitId(name: SplitName): number {
  return SPLIT_NAMES.indexOf(name);
}

/** Whether a row of split id `id` belongs to split `name`. */
export function inSplit(id: number, name: SplitName): boolean {
  return id === splitId(name) || (id === VALID_AND_TEST && name !== 'train');
}

/** By split id (each id a row can have), 1 when its rows belong to split `name`: inSplit as one array read per row. */
export function splitMembers(name: SplitName): Uint8Array {
  return Uint8Array.from({ length: VALID_AND_TEST + 1 }, (_, id) => (inSplit(id, name) ? 1 : 0));
}

export function describeSplit(plan: SplitPlan): string {
  if (plan.kind === 'ratio') return `ratio train ${plan.train} / valid ${plan.valid} / test ${plan.test}, seed ${plan.seed}`;
  if (plan.kind === 'files') return `by files: train ${plan.train.join(', ')}; valid ${plan.valid.join(', ')}; test ${plan.test.join(', ')}`;
  return `by column "${plan.column}": train "${plan.train}", valid "${plan.valid}", test "${plan.test}"`;
}

/** The split id of every row of `file` (as the job names it) of a dataset split by files. */
export function fileSplitId(plan: Extract<SplitPlan, { kind: 'files' }>, file: string): number {
  if (plan.train.includes(file)) return splitId('train');
  const valid = plan.valid.includes(file);
  const test = plan.test.includes(file);
  return valid && test ? VALID_AND_TEST : valid ? splitId('valid') : test ? splitId('test') : NO_SPLIT;
}

/** Writes the split id of rows firstRow .. firstRow + out.length - 1 of a dataset split by ratio. */
export function assignByRatio(plan: Extract<SplitPlan, { kind: 'ratio' }>, firstRow: number, out: Uint8Array): void {
  const total = plan.train + plan.valid + plan.test;
  if (!(total > 0) || plan.train < 0 || plan.valid < 0 || plan.test < 0) {
    throw new UserError(`the split ratios must be non-negative with a positive sum (got ${describeSplit(plan)})`);
  }
  // Thresholds on the 32-bit hash: the hash is uniform, so each split gets its share of rows.
  const trainEnd = (plan.train / total) * 4294967296;
  const validEnd = ((plan.train + plan.valid) / total) * 4294967296;
  for (let i = 0; i < out.length; i++) {
    const h = hashIndex(plan.seed, firstRow + i);
    out[i] = h < trainEnd ? 0 : h < validEnd ? 1 : 2;
  }
}

const columnLookups = new WeakMap<readonly string[], Map<string, Uint8Array>>();

/** Writes the split id of each row of a record batch, read from the split column `data`. */
export function assignByColumn(plan: Extract<SplitPlan, { kind: 'column' }>, data: Data, out: Uint8Array): void {
  const { codes, dictionary } = categoricalView(data);
  const key = `${plan.train}\u0000${plan.valid}\u0000${plan.test}`;
  let perPlan = columnLookups.get(dictionary);
  if (!perPlan) columnLookups.set(dictionary, (perPlan = new Map()));
  let lookup = perPlan.get(key);
  if (!lookup) {
    lookup = new Uint8Array(dictionary.length);
    for (let c = 0; c < dictionary.length; c++) {
      const value = dictionary[c];
      lookup[c] = value === plan.train ? 0 : value === plan.valid ? 1 : value === plan.test ? 2 : NO_SPLIT;
    }
    perPlan.set(key, lookup);
  }
  for (let i = 0; i < out.length; i++) {
    const code = codes[i]!;
    out[i] = code < 0 ? NO_SPLIT : lookup[code]!;
  }
}

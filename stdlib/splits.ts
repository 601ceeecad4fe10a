/** Splits of a dataset's rows into train, valid and test. */
import type { SplitPlan } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, p, fraction, seed } from './signature.js';
import { number, int, string, column } from './types.js';

export type SplitEntry<K extends SplitPlan['kind'] = SplitPlan['kind']> = Entry<{ plan(a: Args): Extract<SplitPlan, { kind: K }> }>;

export const splits = {
  ratio: {
    doc: 'split rows at random by ratio, reproducibly for a seed', runs: true,
    params: [
      p('train', number, 'share of rows for training', '0.8', fraction), p('valid', number, 'share for validation (model selection)', '0.1', fraction),
      p('test', number, 'share held out for `mtl eval --split test`', '0.1', fraction), p('seed', int, 'seed of the row assignment', '0', seed),
    ],
    plan: (a) => ({ kind: 'ratio', train: a.number('train'), valid: a.number('valid'), test: a.number('test'), seed: a.number('seed') }),
  } satisfies SplitEntry<'ratio'>,
  by_column: {
    doc: 'split rows by the value of a string column', runs: true,
    params: [
      p('column', column, 'the column holding split names'), p('train', string, 'value marking training rows', '"train"'),
      p('valid', string, 'value marking validation rows', '"valid"'), p('test', string, 'value marking test rows', '"test"'),
    ],
    plan: (a) => ({ kind: 'column', column: a.column('column'), train: a.string('train'), valid: a.string('valid'), test: a.string('test') }),
  } satisfies SplitEntry<'column'>,
  files: {
    doc: 'split rows by the file they are in: each a file or glob among the dataset\'s files, relative to the program; `valid` and `test` may name the same files (selection then sees the test rows)', runs: true,
    params: [p('train', string, 'the training files'), p('valid', string, 'the validation files'), p('test', string, 'the test files')],
    // Patterns as written; the IR builder expands them to the dataset's files (compiler/ir/build.ts).
    plan: (a) => ({ kind: 'files', train: [a.string('train')], valid: [a.string('valid')], test: [a.string('test')] }),
  } satisfies SplitEntry<'files'>,
} satisfies Record<string, SplitEntry>;

/** The constructor of each kind of split plan: every kind the job knows has one. */
export const splitOfKind = { ratio: 'ratio', column: 'by_column', files: 'files' } as const satisfies Record<SplitPlan['kind'], keyof typeof splits>;

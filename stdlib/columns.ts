/** Column types (a dataset's `columns:`), each naming the job's column type it reads as. */
import type { ColumnType } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, p } from './signature.js';
import { oneOf } from './types.js';

export type ColumnTypeEntry = Entry<{ type(a: Args): ColumnType }>;

const ITEM_TYPES = ['float', 'int', 'string', 'bool'] as const;

const scalar = (type: (typeof ITEM_TYPES)[number]): ColumnTypeEntry => ({ doc: `a column of ${type} values`, params: [], runs: true, type: () => type });

export const columnTypes = {
  float: scalar('float'),
  int: scalar('int'),
  string: scalar('string'),
  bool: scalar('bool'),
  list: {
    doc: 'a column of lists (token sequences, images, multi-labels)', runs: true,
    params: [p('of', oneOf(...ITEM_TYPES), 'the item type')],
    type: (a) => `list<${a.choice('of', ITEM_TYPES)}>`,
  },
} satisfies Record<string, ColumnTypeEntry>;

/** Acceptance policies: when a multi-task program is accepted against the single-task baselines derived from it. */
import type { AcceptancePlan } from '../job/job.js';
import { ACCEPTANCE_SPLITS } from '../job/names.js';
import type { Args } from './args.js';
import { type Entry, p, notNegative } from './signature.js';
import { number, oneOf } from './types.js';

export type AcceptanceEntry<K extends AcceptancePlan['kind'] = AcceptancePlan['kind']> = Entry<{ plan(a: Args): Extract<AcceptancePlan, { kind: K }> }>;

export const acceptances = {
  no_regression: {
    doc: "accept when no task's first metric drops by more than `max_drop` (relative, in the metric's direction) against the task trained alone (`mtl run --ablate single,shared`, `--require-acceptance`)",
    runs: true,
    params: [
      p('max_drop', number, 'the largest relative drop allowed per task: 0.01 is 1% of the baseline', '0.01', notNegative),
      p('split', oneOf(...ACCEPTANCE_SPLITS), 'the split both are scored on', 'valid'),
    ],
    plan: (a) => ({ kind: 'no_regression', maxDrop: a.number('max_drop'), split: a.choice('split', ACCEPTANCE_SPLITS) }),
  } satisfies AcceptanceEntry<'no_regression'>,
} satisfies Record<string, AcceptanceEntry>;

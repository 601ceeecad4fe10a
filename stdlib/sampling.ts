/** Task sampling strategies (which batch group each step trains) and the phases of a scheduled one. */
import type { SamplingKind, SamplingPlan } from '../job/job.js';
import type { Args, PhasePlan } from './args.js';
import { type Entry, p, positive, fraction, stepCount } from './signature.js';
import { number, int, list, record, ctor, optional } from './types.js';

export type SamplingEntry<K extends SamplingKind = SamplingKind> = Entry<{ plan(a: Args): Extract<SamplingPlan, { kind: K }> }>;
export type PhaseEntry = Entry<{ plan(a: Args): PhasePlan }>;

export const samplings = {
  uniform: { doc: 'every task equally often', params: [], runs: true, plan: () => ({ kind: 'uniform' }) },
  proportional: { doc: 'tasks in proportion to their training rows', params: [], runs: true, plan: () => ({ kind: 'proportional' }) },
  temperature: {
    doc: 'p ∝ rows^(1/t), each p capped at `cap` then renormalized', runs: true,
    params: [
      p('t', number, 'temperature (1: proportional, large: uniform)', '2', positive),
      p('cap', optional(number), 'largest probability of one task', undefined, { min: 0, minExclusive: true, max: 1 }),
    ],
    plan: (a) => ({ kind: 'temperature', t: a.number('t'), cap: a.optionalNumber('cap') }),
  },
  explicit: {
    doc: 'given probabilities per task (must sum to 1)', runs: true,
    params: [p('probs', record(number, 'task'), 'probability of each task', undefined, fraction)],
    plan: (a) => ({ kind: 'explicit', probs: a.numberRecord('probs') }),
  },
  scheduled: {
    doc: 'a sampling strategy per phase of training', runs: true,
    params: [p('phases', list(ctor('phase')), 'the phases, in order', undefined, { minItems: 1 })],
    plan: (a) => ({ kind: 'scheduled', phases: a.plans('phases', 'phase') }),
  },
} satisfies { [K in SamplingKind]: SamplingEntry<K> };

export const phases = {
  phase: {
    doc: 'a phase of a sampling schedule', runs: true,
    params: [p('until', optional(int), 'last step of the phase (none: to the end)', undefined, stepCount), p('sampling', ctor('sampling'), 'the strategy in this phase')],
    plan: (a) => ({ until: a.optionalNumber('until'), sampling: a.plan('sampling', 'sampling') }),
  },
} satisfies Record<string, PhaseEntry>;

/**
 * Sharing schemes (`share NAME = scheme(...)`): which argument holds the backbone, how the IR lays the share out in
 * modules, and the sharing plan each of its modules carries in the job.
 */
import type { SharingKind, SharingPlan } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, p, atLeastOne, fraction, notNegative } from './signature.js';
import { number, int, list, ref, union, ctor } from './types.js';

/**
 * How the IR lays a share out: one module all its tasks read (their parameters in common), a column (a copy of the
 * backbone) per task, or `experts` copies mixed for each task by a gate of its own.
 */
export type SharingLayout = { kind: 'shared' } | { kind: 'column per task' } | { kind: 'mixture'; experts(a: Args): number };

/** The modules the IR made for a share, by the ids the job gives them. */
export interface ShareModules {
  /** One per task for a column-per-task layout; the shared module otherwise. */
  columns: string[];
  /** The share's tasks, sorted. */
  tasks: string[];
  experts: string[];
  /** Each task's gate module. */
  gates: Record<string, string>;
}

export type SharingEntry<K extends SharingKind = SharingKind> = Entry<{
  /** The argument holding the backbone its tasks read (for mmoe, the expert). */
  backbone: 'backbone' | 'expert';
  layout: SharingLayout;
  plan(a: Args, modules: ShareModules): Extract<SharingPlan, { kind: K }>;
}>;

const backbone = union(ref('backbone'), ctor('backbone'));
const tasks = (doc: string) => p('tasks', list(ref('task')), doc);

export const sharing = {
  hard: {
    doc: 'one backbone, its parameters shared by all the tasks', runs: true, backbone: 'backbone', layout: { kind: 'shared' },
    params: [p('backbone', backbone, 'the shared backbone'), tasks('the tasks that share it')],
    plan: () => ({ kind: 'hard' }),
  },
  cross_stitch: {
    doc: 'one copy of the backbone per task, mixed by learned cross-stitch units (Misra et al. 2016)', runs: true, backbone: 'backbone', layout: { kind: 'column per task' },
    params: [
      p('backbone', backbone, 'the backbone each task gets a copy of'), tasks('the tasks'),
      p('after', list(int), 'layer indices followed by a cross-stitch unit (empty: after every layer)', '[]', { min: 0, layerOf: { param: 'backbone', says: 'mixes after layer' } }),
      p('init', number, 'initial weight of a task on its own column', '0.9', fraction),
    ],
    plan: (a, m) => ({ kind: 'cross_stitch', columns: m.columns, after: a.numbers('after'), init: a.number('init') }),
  },
  adapters: {
    doc: 'a shared backbone with small per-task adapter layers inserted after each layer (Houlsby et al. 2019)', runs: true, backbone: 'backbone', layout: { kind: 'shared' },
    params: [p('backbone', backbone, 'the shared backbone'), tasks('the tasks'), p('size', int, 'adapter bottleneck width', '16', atLeastOne)],
    plan: (a, m) => ({ kind: 'adapters', size: a.number('size'), tasks: m.tasks }),
  },
  soft: {
    doc: 'one backbone per task, tied by an L2 penalty between their parameters (Duong et al. 2015)', runs: true, backbone: 'backbone', layout: { kind: 'column per task' },
    params: [p('backbone', backbone, 'the backbone each task gets a copy of'), tasks('the tasks'), p('l2', number, 'strength of the tie', '0.001', notNegative)],
    plan: (a, m) => ({ kind: 'soft', columns: m.columns, l2: a.number('l2') }),
  },
  mmoe: {
    doc: 'multi-gate mixture of experts: shared experts, one softmax gate per task (Ma et al. 2018)', runs: true, backbone: 'expert',
    layout: { kind: 'mixture', experts: (a) => a.number('experts') },
    params: [p('expert', backbone, 'the expert network'), p('experts', int, 'number of experts', '4', atLeastOne), tasks('the tasks')],
    plan: (_a, m) => ({ kind: 'mmoe', experts: m.experts, gates: m.gates }),
  },
} satisfies { [K in SharingKind]: SharingEntry<K> };

/**
 * Sharing schemes (`share NAME = scheme(...)`): which argument holds the backbone, how the IR lays the share out in
 * modules, the sharing plan each of its modules carries in the job, and that plan once the passes have dropped dead
 * tasks. A scheme over an existing layout is one entry here (and its `SharingPlan` kind in job/job.ts).
 */
import type { SharingKind, SharingPlan } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, p, notNegative, fraction, width } from './signature.js';
import { number, int, list, record, ref, union, ctor } from './types.js';

/**
 * How the IR lays a share out: one module all its tasks read (their parameters in common), a column (a copy of the
 * backbone) per task, or `experts` copies mixed for each task by a gate of its own. A closed set: the IR builder
 * (compiler/ir/build.ts) switches on it to make the modules, so a new layout is a change to the builder too, not
 * just an entry here.
 */
export type SharingLayout =
  | { kind: 'shared' }
  | { kind: 'column per task' }
  /** `assigned`: the experts (by index) a task's gate mixes, when not all of them. */
  | { kind: 'mixture'; experts(a: Args): number; assigned?(a: Args, task: string): number[] | null };

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

/** What is left of a job after the passes: the ids of its modules and the names of its tasks. */
export interface Survivors {
  modules: Set<string>;
  tasks: Set<string>;
}

export type SharingEntry<K extends SharingKind = SharingKind> = Entry<{
  /** The argument holding the backbone its tasks read (for mmoe, the expert). */
  backbone: 'backbone' | 'expert';
  layout: SharingLayout;
  /**
   * Its modules mix the tasks' activations row by row, so every column runs on each batch and its tasks must read
   * one feature set (rule cross-stitch-one-input).
   */
  mixesRows: boolean;
  /**
   * How it gives each task a representation of its own, completing "`<scheme>` …"; null when all its tasks read one
   * output of the shared backbone, which an aggregation `on: representation` differentiates (rule one-shared-representation).
   */
  perTaskRepresentation: string | null;
  /**
   * What it does between its tasks, completing "`<scheme>` …", when that is what it is for: a share of one task is
   * then an error. Null when one task is only pointless (a single model: a warning). Rule share-task-count.
   */
  needsTwoTasks: string | null;
  plan(a: Args, modules: ShareModules): Extract<SharingPlan, { kind: K }>;
  /** Its plan naming only the modules and tasks still in the job (the passes drop dead tasks and their columns). */
  live(plan: Extract<SharingPlan, { kind: K }>, survivors: Survivors): Extract<SharingPlan, { kind: K }>;
}>;

const kept = (ids: string[], survivors: Set<string>) => ids.filter((id) => survivors.has(id));

const backbone = union(ref('backbone'), ctor('backbone'));
const tasks = (doc: string) => p('tasks', list(ref('task')), doc);

export const sharing = {
  hard: {
    doc: 'one backbone, its parameters shared by all the tasks', runs: true, backbone: 'backbone', layout: { kind: 'shared' },
    params: [p('backbone', backbone, 'the shared backbone'), tasks('the tasks that share it')],
    mixesRows: false, perTaskRepresentation: null, needsTwoTasks: null, plan: () => ({ kind: 'hard' }), live: (plan) => plan,
  },
  cross_stitch: {
    doc: 'one copy of the backbone per task, mixed by learned cross-stitch units (Misra et al. 2016)', runs: true, backbone: 'backbone', layout: { kind: 'column per task' },
    params: [
      p('backbone', backbone, 'the backbone each task gets a copy of'), tasks('the tasks'),
      p('after', list(int), 'layer indices followed by a cross-stitch unit (empty: after every layer)', '[]', { min: 0, layerOf: { param: 'backbone', says: 'mixes after layer' } }),
      p('init', number, 'initial weight of a task on its own column', '0.9', fraction),
    ],
    mixesRows: true, perTaskRepresentation: 'gives each task a column of its own', needsTwoTasks: 'mixes the columns of its tasks', plan: (a, m) => ({ kind: 'cross_stitch', columns: m.columns, after: a.numbers('after'), init: a.number('init') }),
    live: (plan, { modules }) => ({ ...plan, columns: kept(plan.columns, modules) }),
  },
  adapters: {
    doc: 'a shared backbone with small per-task adapter layers inserted after each layer (Houlsby et al. 2019)', runs: true, backbone: 'backbone', layout: { kind: 'shared' },
    params: [p('backbone', backbone, 'the shared backbone'), tasks('the tasks'), p('size', int, 'adapter bottleneck width', '16', width)],
    mixesRows: false, perTaskRepresentation: 'changes the backbone\'s output for each task with its adapters', needsTwoTasks: null, plan: (a, m) => ({ kind: 'adapters', size: a.number('size'), tasks: m.tasks }),
    live: (plan, { tasks }) => ({ ...plan, tasks: kept(plan.tasks, tasks) }),
  },
  soft: {
    doc: 'one backbone per task, tied by an L2 penalty between their parameters (Duong et al. 2015)', runs: true, backbone: 'backbone', layout: { kind: 'column per task' },
    params: [p('backbone', backbone, 'the backbone each task gets a copy of'), tasks('the tasks'), p('l2', number, 'strength of the tie', '0.001', notNegative)],
    mixesRows: false, perTaskRepresentation: 'gives each task a column of its own', needsTwoTasks: 'ties the columns of its tasks together', plan: (a, m) => ({ kind: 'soft', columns: m.columns, l2: a.number('l2') }),
    live: (plan, { modules }) => ({ ...plan, columns: kept(plan.columns, modules) }),
  },
  mmoe: {
    doc: 'multi-gate mixture of experts: shared experts, one softmax gate per task (Ma et al. 2018)', runs: true, backbone: 'expert',
    layout: { kind: 'mixture', experts: (a) => a.number('experts'), assigned: (a, task) => a.numberListRecord('assign')[task] ?? null },
    params: [
      p('expert', backbone, 'the expert network'), p('experts', int, 'number of experts', '4', { min: 1, max: 256, help: 'number of experts: an integer between 1 and 256 (each is a copy of the expert network)' }), tasks('the tasks'),
      p('assign', record(list(int), 'task'), 'task-routed experts: the experts (indices from 0) each task\'s gate mixes, a softmax over those alone; given, every task of the share needs its list and every expert a task (empty: every task mixes every expert)', '{}'),
    ],
    mixesRows: false, perTaskRepresentation: 'mixes the experts by a gate of each task', needsTwoTasks: null, plan: (_a, m) => ({ kind: 'mmoe', experts: m.experts, gates: m.gates }),
    live: (plan, { modules, tasks }) => {
      const gates: Record<string, string> = {};
      for (const [task, gate] of Object.entries(plan.gates)) if (tasks.has(task) && modules.has(gate)) gates[task] = gate;
      return { ...plan, experts: kept(plan.experts, modules), gates };
    },
  },
} satisfies { [K in SharingKind]: SharingEntry<K> };

/** A sharing plan naming only the modules and tasks still in the job, by its scheme's `live`. */
export function liveSharing(plan: SharingPlan, survivors: Survivors): SharingPlan {
  return (sharing[plan.kind] as unknown as SharingEntry).live(plan, survivors);
}

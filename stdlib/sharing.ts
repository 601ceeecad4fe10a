/**
 * Sharing schemes (`share NAME = scheme(...)`): which argument holds the backbone, how the IR lays the share out in
 * modules, the sharing plan each of its modules carries in the job, and that plan once the passes have dropped dead
 * tasks. A scheme over an existing layout is one entry here (and its `SharingPlan` kind in job/job.ts).
 */
import type { LayerKind, SharingKind, SharingPlan } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, p, notNegative, fraction, width, positive } from './signature.js';
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
  | { kind: 'mixture'; experts(a: Args): number; assigned?(a: Args, task: string): number[] | null }
  // Not a mixture: some experts belong to one task (its gate alone mixes them), and with more than one level a level's
  // mixtures are what the next level's experts and gates read, not the share's input.
  | { kind: 'extraction'; shared(a: Args): number; perTask(a: Args): number; levels(a: Args): number };

/** The modules of one extraction level (CGC is one; PLE stacks them), by the ids the job gives them. */
export interface ExtractionLevel {
  shared: string[];
  /** Each task's own experts. */
  experts: Record<string, string[]>;
  /** Each task's gate, over the shared experts and then its own. */
  gates: Record<string, string>;
  /** Each task's mixture: what its experts and gate of the next level read, or its tower or head at the last level. */
  mixes: Record<string, string>;
  /** The gate over every expert of the level and its mixture, which the next level's shared experts read; null at the last level. */
  sharedGate: string | null;
  sharedMix: string | null;
}

/** The modules the IR made for a share, by the ids the job gives them. */
export interface ShareModules {
  /** One per task for a column-per-task layout; the shared module otherwise. */
  columns: string[];
  /** The share's tasks, sorted. */
  tasks: string[];
  experts: string[];
  /** Each task's gate module. */
  gates: Record<string, string>;
  /** An extraction layout's levels, first to last. */
  levels: ExtractionLevel[];
}

/** What is left of a job after the passes: the ids of its modules and the names of its tasks. */
export interface Survivors {
  modules: Set<string>;
  tasks: Set<string>;
}

export type SharingEntry<K extends SharingKind = SharingKind> = Entry<{
  /** The argument holding the backbone its tasks read (for mmoe, cgc and ple, the expert). */
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
  /**
   * The only layer kinds its backbone may hold, when it works on some only, with what it does with them (completing
   * "`<scheme>` …") and the backbones made of them (rule share-backbone-layers).
   */
  backboneLayers?: { kinds: readonly LayerKind[]; says: string; backbones: string };
  plan(a: Args, modules: ShareModules): Extract<SharingPlan, { kind: K }>;
  /** Its plan naming only the modules and tasks still in the job (the passes drop dead tasks and their columns). */
  live(plan: Extract<SharingPlan, { kind: K }>, survivors: Survivors): Extract<SharingPlan, { kind: K }>;
}>;

const kept = (ids: string[], survivors: Set<string>) => ids.filter((id) => survivors.has(id));

/** Each live task's module, if it is live too. */
function keptByTask<T extends string | string[]>(byTask: Record<string, T>, { modules, tasks }: Survivors): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [task, ids] of Object.entries(byTask)) {
    if (!tasks.has(task)) continue;
    if (typeof ids === 'string') {
      if (modules.has(ids)) out[task] = ids;
    } else out[task] = kept(ids, modules) as T;
  }
  return out;
}

type ExtractionPlan = Extract<SharingPlan, { kind: 'cgc' }>;
const extractionPlan = (level: ExtractionLevel): Omit<ExtractionPlan, 'kind'> => ({ shared: level.shared, experts: level.experts, gates: level.gates });
const liveExtraction = <P extends Omit<ExtractionPlan, 'kind'>>(level: P, survivors: Survivors): P =>
  ({ ...level, shared: kept(level.shared, survivors.modules), experts: keptByTask(level.experts, survivors), gates: keptByTask(level.gates, survivors) });

const expertCount = (name: string, doc: string, dflt: string) =>
  p(name, int, doc, dflt, { min: 1, max: 256, help: `${doc}: an integer between 1 and 256 (each is a copy of the expert network)` });

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
    live: (plan, survivors) => ({ ...plan, experts: kept(plan.experts, survivors.modules), gates: keptByTask(plan.gates, survivors) }),
  },
  cgc: {
    doc: 'customized gate control: shared experts and experts of each task\'s own, mixed for each task by a softmax gate of its own (Tang et al. 2020)',
    runs: true, backbone: 'expert',
    layout: { kind: 'extraction', shared: (a) => a.number('shared_experts'), perTask: (a) => a.number('task_experts'), levels: () => 1 },
    params: [
      p('expert', backbone, 'the expert network'),
      expertCount('shared_experts', 'number of experts every task\'s gate mixes', '2'),
      expertCount('task_experts', 'number of experts of each task\'s own', '1'),
      tasks('the tasks'),
    ],
    mixesRows: false, perTaskRepresentation: 'mixes shared and task experts by a gate of each task', needsTwoTasks: null,
    plan: (_a, m) => ({ kind: 'cgc', ...extractionPlan(m.levels[0]!) }),
    live: (plan, survivors) => liveExtraction(plan, survivors),
  },
  ple: {
    doc: 'progressive layered extraction: stacked CGC levels, each but the last with a shared gate over all its experts feeding the next level\'s shared experts (Tang et al. 2020)',
    runs: true, backbone: 'expert',
    layout: { kind: 'extraction', shared: (a) => a.number('shared_experts'), perTask: (a) => a.number('task_experts'), levels: (a) => a.number('levels') },
    params: [
      p('expert', backbone, 'the expert network (of every level; a level\'s experts read the level before\'s mixtures)'),
      expertCount('shared_experts', 'number of shared experts per level', '2'),
      expertCount('task_experts', 'number of experts of each task\'s own per level', '1'),
      p('levels', int, 'number of extraction levels; the last is a CGC', '2', { min: 1, max: 16, help: 'number of levels: an integer between 1 and 16' }),
      tasks('the tasks'),
    ],
    mixesRows: false, perTaskRepresentation: 'mixes shared and task experts by a gate of each task', needsTwoTasks: null,
    plan: (_a, m) => ({ kind: 'ple', levels: m.levels.map((level) => ({ ...extractionPlan(level), sharedGate: level.sharedGate })) }),
    live: (plan, survivors) => ({
      ...plan,
      levels: plan.levels.map((level) => liveExtraction({ ...level, sharedGate: level.sharedGate !== null && survivors.modules.has(level.sharedGate) ? level.sharedGate : null }, survivors)),
    }),
  },
  lora: {
    doc: 'a shared backbone whose dense layers each get, per task, a low-rank update of their kernel: W + (alpha / rank) · A · B, B zero at first so training starts from the shared weights (Hu et al. 2021)',
    runs: true, backbone: 'backbone', layout: { kind: 'shared' },
    params: [
      p('backbone', backbone, 'the shared backbone'), tasks('the tasks'),
      p('rank', int, 'rank of each task\'s update (A [in, rank], B [rank, out])', '4', width), p('alpha', number, 'scale: the update is multiplied by alpha / rank', '8', positive),
    ],
    mixesRows: false, perTaskRepresentation: 'changes the backbone\'s dense layers for each task with its low-rank updates', needsTwoTasks: null,
    plan: (a, m) => ({ kind: 'lora', rank: a.number('rank'), alpha: a.number('alpha'), tasks: m.tasks }),
    live: (plan, { tasks }) => ({ ...plan, tasks: kept(plan.tasks, tasks) }),
  },
  mtan: {
    doc: 'a shared mlp or cnn backbone with a soft attention mask per task at each of its blocks (Liu et al. 2019): the task\'s features there are sigmoid(W · [shared; the task\'s previous features] + b) ⊙ shared, W a dense layer (a 1×1 convolution on feature maps)',
    runs: true, backbone: 'backbone', layout: { kind: 'shared' },
    params: [p('backbone', backbone, 'the shared backbone (mlp and cnn layers)'), tasks('the tasks, each with its attention modules')],
    mixesRows: false, perTaskRepresentation: 'masks the backbone\'s features with attention of each task', needsTwoTasks: null, plan: (_a, m) => ({ kind: 'mtan', tasks: m.tasks }),
    backboneLayers: { kinds: ['dense', 'conv2d', 'batch_norm', 'pool2d', 'dropout', 'flatten'], says: 'attends over dense and convolution blocks', backbones: '`mlp` and `cnn` layers' },
    live: (plan, { tasks }) => ({ ...plan, tasks: kept(plan.tasks, tasks) }),
  },
} satisfies { [K in SharingKind]: SharingEntry<K> };

/** A sharing plan naming only the modules and tasks still in the job, by its scheme's `live`. */
export function liveSharing(plan: SharingPlan, survivors: Survivors): SharingPlan {
  return (sharing[plan.kind] as unknown as SharingEntry).live(plan, survivors);
}

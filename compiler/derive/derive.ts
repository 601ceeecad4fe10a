/**
 * Baselines and ablations derived from one program (`mtl run --ablate`): the program is rewritten at the level of the
 * checked program — which tasks there are and which backbone each reads — and then built, optimized and lowered as
 * any program is, so a derived job is exactly the job of the program a user would have written by hand. What a
 * variant cannot keep (an aggregation that needs two tasks, a weighting that needs shared parameters) it replaces,
 * and says so in its notes.
 *
 * - `single`: each task alone, with its features, its share's backbone as a private one (an mmoe share's expert), its
 *   tower and head, the same optimizer, batch size, seed and length (its stages, if any, keep only it); the tasks it
 *   reads or multiplies stay, trained only through it.
 * - `private`: every task, nothing shared: each gets its own copy of its share's backbone.
 * - `shared`: the program as written.
 * - `scarcity`: the program as written with one task's training labels cut to a fraction (the job's `trainLabels`).
 */
import { taskDependencies, type CheckedProgram, type TaskView } from '../check/model.js';
import type { Compilation } from '../compile.js';
import { buildGraph } from '../ir/build.js';
import { optimize } from '../ir/pipeline.js';
import { PLAN_NODE, type IrNode } from '../ir/graph.js';
import { lowerToJob } from '../lower/to-job.js';
import type { Job, TrainingPlan } from '../../job/job.js';
import { weightings } from '../../stdlib/index.js';
import type { VariantKind, VariantSpec } from './variants.js';

export interface DerivedJob {
  /** Unique, usable as a directory name: `shared`, `private`, `single-income`, `scarcity-income-0.5`. */
  name: string;
  variant: VariantKind;
  /** The row of the ablation table it belongs to: the single-task jobs make one row. */
  row: string;
  job: Job;
  /** What the variant changed beyond its definition, one sentence each. */
  notes: string[];
}

export interface DeriveInput {
  program: CheckedProgram;
  /** The program as written, compiled (the `shared` variant, and which tasks train). */
  job: Job;
  /** The entry file and its text (for the jobs' `source`). */
  entry: string;
  sourceText: string;
  /** Optimizations left out (`--no-opt`), as the program was compiled. */
  noOpt?: readonly string[];
}

/** The variants of a compiled program (`compileProgram`'s result without errors). */
export function deriveFromCompilation(c: Compilation, file: string, specs: readonly VariantSpec[], noOpt: readonly string[] = []): { jobs: DerivedJob[]; problems: string[] } {
  if (!c.checked || !c.job) throw new Error('deriveFromCompilation: the program did not compile');
  return deriveJobs({ program: c.checked, job: c.job, entry: file, sourceText: c.loaded.sources.get(file)?.text ?? '', noOpt }, specs);
}

/** The jobs of the variants asked for, in the order asked; `problems` names what cannot be derived (an unknown task). */
export function deriveJobs(input: DeriveInput, specs: readonly VariantSpec[]): { jobs: DerivedJob[]; problems: string[] } {
  const jobs: DerivedJob[] = [];
  const problems: string[] = [];
  const live = input.job.tasks.map((t) => t.name);
  for (const spec of specs) {
    switch (spec.kind) {
      case 'shared':
        jobs.push({ name: 'shared', variant: 'shared', row: 'shared', job: input.job, notes: [] });
        break;
      case 'private':
        jobs.push(privateJob(input));
        break;
      case 'single':
        for (const task of live) jobs.push(singleJob(input, task));
        break;
      case 'scarcity': {
        if (spec.task !== null && !live.includes(spec.task)) {
          problems.push(`\`scarcity:${spec.task}\`: the program has no task \`${spec.task}\` that trains (its tasks: ${live.join(', ')})`);
          break;
        }
        for (const task of spec.task === null ? live : [spec.task]) {
          for (const fraction of spec.fractions) jobs.push(scarceJob(input.job, task, fraction));
        }
        break;
      }
    }
  }
  return { jobs, problems };
}

// ---------------------------------------------------------------- the model: which tasks, which backbones

/** The task with its share's backbone as a private one (an mmoe, cgc or ple share's is its expert); a note when a scheme is dropped. */
function onItsOwn(task: TaskView, notes: Set<string>): TaskView {
  const share = task.share;
  if (!share?.backbone) return task;
  if (share.scheme && share.scheme !== 'hard') {
    const what = share.entry?.backbone === 'expert' ? 'one expert\'s backbone, without experts or gates' : `a private copy of its backbone, without the ${share.scheme} scheme`;
    notes.add(`share \`${share.name}\` (${share.scheme}): each task gets ${what}`);
  }
  return { ...task, share: null, fields: { ...task.fields, backbone: share.backbone } };
}

function rewritten(program: CheckedProgram, tasks: TaskView[]): CheckedProgram {
  return { ...program, tasks: new Map(tasks.map((t) => [t.name, t])), shares: new Map() };
}

/**
 * Builds, optimizes and lowers a rewritten program. `stages` edits the training plan before the passes (they drop
 * tasks in no stage); a stage freezing a share freezes the private copies made of it.
 */
function lower(input: DeriveInput, program: CheckedProgram, stages: (plan: TrainingPlan) => TrainingPlan['stages']): Job {
  const graph = buildGraph(program);
  const planNode = graph.node(PLAN_NODE) as Extract<IrNode, { kind: 'plan' }>;
  planNode.training = { ...planNode.training, stages: stages(planNode.training) };
  const frozenNames = planNode.training.stages.map((s) => s.frozen);
  const job = lowerToJob(optimize(graph, { skip: new Set(input.noOpt ?? []) }).graph, { entry: input.entry, sourceText: input.sourceText });
  job.training.stages.forEach((stage, i) => {
    const copies = frozenNames[i]!.flatMap((name) => input.program.shares.get(name)?.tasks.map((t) => `${t.name}.backbone`) ?? []);
    const ids = new Set(job.modules.map((m) => m.id));
    stage.frozen = [...new Set([...stage.frozen, ...copies.filter((id) => ids.has(id))])].sort();
  });
  return job;
}

function privateJob(input: DeriveInput): DerivedJob {
  const notes = new Set<string>();
  const tasks = [...input.program.tasks.values()].map((t) => onItsOwn(t, notes));
  const job = lower(input, rewritten(input.program, tasks), (plan) => plan.stages);
  job.training = withoutSharedParameters(job.training, notes);
  return { name: 'private', variant: 'private', row: 'private', job, notes: [...notes] };
}

function singleJob(input: DeriveInput, name: string): DerivedJob {
  const notes = new Set<string>();
  const task = onItsOwn(input.program.tasks.get(name)!, notes);
  // The stages it trains in, for as long: a task trained only in a program's second stage gets that stage's length.
  const staged = (plan: TrainingPlan) => plan.stages.filter((s) => s.tasks.includes(name)).map((s) => ({ ...s, tasks: [name] }));
  const job = lower(input, rewritten(input.program, [task, ...dependenciesAlone(input.program, name, notes)]), staged);
  job.training = alone(withoutSharedParameters(job.training, notes), job, name, notes);
  return { name: `single-${name}`, variant: 'single', row: 'single', job, notes: [...notes] };
}

/**
 * The tasks a task reads or multiplies (`reads`, `product`), and theirs: a task alone keeps them, since its prediction
 * needs theirs; in none of its stages, only its loss trains them.
 */
function dependenciesAlone(program: CheckedProgram, name: string, notes: Set<string>): TaskView[] {
  const found = new Set<string>();
  const visit = (task: string) => {
    const { reads, product } = taskDependencies(program.tasks.get(task)!);
    for (const dep of [...reads, ...product]) {
      if (dep.name === name || found.has(dep.name)) continue;
      found.add(dep.name);
      visit(dep.name);
    }
  };
  visit(name);
  if (found.size > 0) notes.add(`task \`${name}\` keeps the tasks whose predictions it reads or multiplies (${[...found].map((t) => `\`${t}\``).join(', ')}), trained only through it`);
  return [...found].map((dep) => onItsOwn(program.tasks.get(dep)!, notes));
}

function scarceJob(job: Job, task: string, fraction: number): DerivedJob {
  const scarce: Job = structuredClone(job);
  scarce.tasks = scarce.tasks.map((t) => (t.name === task ? { ...t, trainLabels: { fraction, seed: job.training.seed } } : t));
  return { name: `scarcity-${task}-${fraction}`, variant: 'scarcity', row: `scarcity ${task} ${fraction}`, job: scarce, notes: [] };
}

// ---------------------------------------------------------------- the training plan

/** Nothing is shared: an aggregation has nothing to combine, and a weighting or option that needs shared parameters has nothing to work on. */
function withoutSharedParameters(training: TrainingPlan, notes: Set<string>): TrainingPlan {
  const next = { ...training, conflictsEvery: 0 };
  if (training.aggregation.kind !== 'sum') {
    notes.add(`aggregation \`${training.aggregation.kind}\` falls back to \`sum\`: no parameters are shared`);
    next.aggregation = { kind: 'sum' };
  }
  if (weightings[training.weighting.kind].perTaskGradients) {
    notes.add(`weighting \`${training.weighting.kind}\` falls back to \`equal\`: it works on the gradients of shared parameters`);
    next.weighting = { kind: 'equal' };
  }
  if (training.optimizer.normalizeTaskGradients) {
    notes.add('`normalize_task_gradients` is off: no parameters are shared');
    next.optimizer = { ...training.optimizer, normalizeTaskGradients: false };
  }
  return next;
}

/** One task: no weighting between tasks, no sampling between them, selection on its own scores. */
function alone(training: TrainingPlan, job: Job, task: string, notes: Set<string>): TrainingPlan {
  const next = { ...training };
  if (training.weighting.kind !== 'static' && training.weighting.kind !== 'equal') {
    notes.add(`weighting \`${training.weighting.kind}\` falls back to \`equal\`: a single task has no other to weigh against`);
    next.weighting = { kind: 'equal' };
  }
  if (training.sampling.kind !== 'proportional') {
    notes.add(`sampling \`${training.sampling.kind}\` falls back to \`proportional\`: a single task has nothing to sample between`);
    next.sampling = { kind: 'proportional' };
  }
  const { selection } = training;
  const metrics = job.tasks.find((t) => t.name === task)?.metrics ?? [];
  const own = selection.objectives.filter((o) => o.task === task);
  if (selection.kind === 'weighted') {
    // The task's own objective, weighed alone.
    next.selection = { ...selection, objectives: own, weights: Object.fromEntries(Object.entries(selection.weights).filter(([t]) => t === task)) };
  } else if (selection.metric !== 'loss' && !metrics.includes(selection.metric)) {
    notes.add(`selection on \`${selection.metric}\` falls back to \`loss\`: task \`${task}\` does not report it`);
    next.selection = { ...selection, metric: 'loss', mode: 'min', task: 'mean', objectives: [{ task, metric: 'loss', mode: 'min' }] };
  } else if (selection.task !== 'mean' && selection.task !== task) {
    notes.add(`selection on task \`${selection.task}\` selects on \`${task}\` instead`);
    next.selection = { ...selection, task: 'mean', objectives: own };
  } else {
    next.selection = { ...selection, objectives: own };
  }
  return next;
}

/**
 * Which batch group trains at each step. The sampling plan gives each task a probability; a group's
 * probability is the sum of its tasks' (one batch serves every task of its group).
 *   uniform       1 / K
 *   proportional  n_i / Σ n              (n_i: training rows of task i's dataset)
 *   temperature   n_i^(1/T) / Σ n^(1/T), then no task above `cap` (the excess goes to the others, in proportion)
 *   explicit      the given probabilities, renormalized over the tasks that train
 *   scheduled     the first phase whose `until` (a step, exclusive) is not reached yet; the last phase after that
 * Pure: no tensors, no state beyond the random stream passed in.
 */
import type { SamplingPlan } from '../../job/job.js';
import { UserError } from '../errors.js';

/** @param rowsPerTask training rows per task that trains now; its keys are the tasks that can be drawn */
export function taskProbabilities(plan: SamplingPlan, rowsPerTask: Readonly<Record<string, number>>, step: number): Record<string, number> {
  const tasks = Object.keys(rowsPerTask);
  switch (plan.kind) {
    case 'uniform':
      return normalized(tasks.map((t) => [t, 1]));
    case 'proportional':
      return normalized(tasks.map((t) => [t, rowsPerTask[t]!]));
    case 'temperature': {
      if (!(plan.t > 0)) throw new UserError(`temperature sampling needs a temperature above 0, not ${plan.t}`);
      const probs = normalized(tasks.map((t) => [t, rowsPerTask[t]! ** (1 / plan.t)]));
      return plan.cap === null ? probs : capped(probs, plan.cap);
    }
    case 'explicit':
      return normalized(tasks.map((t) => [t, plan.probs[t] ?? 0]));
    case 'scheduled': {
      if (plan.phases.length === 0) throw new UserError('scheduled sampling needs at least one phase');
      const phase = plan.phases.find((p) => p.until === null || step < p.until) ?? plan.phases[plan.phases.length - 1]!;
      return taskProbabilities(phase.sampling, rowsPerTask, step);
    }
  }
}

function normalized(scores: [string, number][]): Record<string, number> {
  const total = scores.reduce((sum, [, s]) => sum + s, 0);
  if (!(total > 0)) {
    throw new UserError(`task sampling gives every training task probability 0 (tasks: ${scores.map(([t]) => t).join(', ')})`);
  }
  return Object.fromEntries(scores.map(([t, s]) => [t, s / total]));
}

/**
 * Caps every probability at `cap` and spreads the excess over the uncapped tasks in proportion to
 * their probabilities, repeating until none is above the cap. With K·cap < 1 no such distribution
 * exists; then every task gets 1/K.
 */
export function capped(probs: Readonly<Record<string, number>>, cap: number): Record<string, number> {
  const tasks = Object.keys(probs);
  if (cap * tasks.length < 1) return Object.fromEntries(tasks.map((t) => [t, 1 / tasks.length]));
  const result: Record<string, number> = { ...probs };
  const fixed = new Set<string>();
  for (;;) {
    const over = tasks.filter((t) => !fixed.has(t) && result[t]! > cap + 1e-12);
    if (over.length === 0) return result;
    for (const t of over) {
      result[t] = cap;
      fixed.add(t);
    }
    const free = tasks.filter((t) => !fixed.has(t));
    const freeMass = 1 - cap * fixed.size;
    const freeTotal = free.reduce((sum, t) => sum + probs[t]!, 0);
    for (const t of free) result[t] = freeTotal > 0 ? (probs[t]! / freeTotal) * freeMass : freeMass / free.length;
  }
}

export interface GroupLike {
  tasks: readonly string[];
}

/** Each group's probability: the sum over its tasks. Tasks absent from `taskProbs` count 0. */
export function groupProbabilities(groups: readonly GroupLike[], taskProbs: Readonly<Record<string, number>>): number[] {
  return groups.map((g) => g.tasks.reduce((sum, t) => sum + (taskProbs[t] ?? 0), 0));
}

/**
 * A function from step to the index of the group that trains at it. `uniform` is a source of numbers
 * in [0, 1) (a seeded stream); probabilities are recomputed only when a scheduled phase changes.
 */
export function groupSampler(
  groups: readonly GroupLike[],
  plan: SamplingPlan,
  rowsPerTask: Readonly<Record<string, number>>,
  uniform: () => number,
): (step: number) => number {
  let cachedPhase = -2;
  let cumulative: number[] = [];
  return (step) => {
    const phase = phaseIndex(plan, step);
    if (phase !== cachedPhase) {
      const probs = groupProbabilities(groups, taskProbabilities(plan, rowsPerTask, step));
      let running = 0;
      cumulative = probs.map((p) => (running += p));
      cachedPhase = phase;
    }
    const u = uniform() * cumulative[cumulative.length - 1]!;
    const index = cumulative.findIndex((c) => u < c);
    return index === -1 ? cumulative.length - 1 : index;
  };
}

/** Which phase of a scheduled plan a step is in (nested schedules flattened into one number); -1 when not scheduled. */
function phaseIndex(plan: SamplingPlan, step: number): number {
  if (plan.kind !== 'scheduled') return -1;
  const index = plan.phases.findIndex((p) => p.until === null || step < p.until);
  const at = index === -1 ? plan.phases.length - 1 : index;
  return at * 1000 + phaseIndex(plan.phases[at]!.sampling, step) + 1;
}

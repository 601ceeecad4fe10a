/**
 * Model selection: the score of each evaluation by the job's selection plan, the weights of the best
 * one so far (restored at the end), early stopping after `patience` evaluations without improvement, and the
 * Pareto set of the evaluated epochs on the plan's objectives (one metric per task).
 *
 * A weighted score is scale-free: each task's metric enters as its relative change since the baseline (the
 * first evaluation where every objective has a value), signed so that better is positive, as Δp is
 * (Maninis et al. 2019; LibMTL). Losses, AUCs and squared errors can then be weighed against each other.
 */
import * as tf from '@tensorflow/tfjs';
import type { SelectionObjective, SelectionPlan } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { Param } from '../model/types.js';
import type { SplitScores } from './evaluate.js';
import { field, type Checkpointed, type StateValue } from '../checkpoint/state.js';

/** Each objective's value in one evaluation, by task. */
export type ObjectiveValues = Record<string, number>;

/** One evaluated epoch, as selection saw it. */
export interface Evaluation {
  epoch: number;
  /** Its selection score; null when it has none (a metric undefined, or before a weighted score's baseline). */
  score: number | null;
  /** Its objectives' values; null when a task's metric is undefined. */
  values: ObjectiveValues | null;
}

/** An evaluated epoch no other beats: none is at least as good on every objective and better on one. */
export interface ParetoEpoch {
  epoch: number;
  score: number | null;
  values: ObjectiveValues;
}

/**
 * What selection has learned so far, apart from the best weights themselves: small and JSON-serialisable, so a
 * checkpoint can hold it and a resumed run selects as an uninterrupted one would.
 */
export interface SelectionState {
  baseline: ObjectiveValues | null;
  evaluations: Evaluation[];
  bestEpoch: number | null;
  bestScore: number | null;
  bestScores: SplitScores | null;
  sinceImprovement: number;
}

/** Each objective's value in `scores`; null when one is missing or not finite. */
export function objectiveValues(objectives: readonly SelectionObjective[], scores: SplitScores): ObjectiveValues | null {
  const values: ObjectiveValues = {};
  for (const { task, metric } of objectives) {
    const value = scores[task]?.[metric];
    if (typeof value !== 'number' || !Number.isFinite(value)) return null;
    values[task] = value;
  }
  return values;
}

/**
 * (value − baseline) / |baseline|, negated when lower is better, so an improvement is positive whatever the
 * metric's direction and scale. A baseline of 0 leaves the difference unscaled (there is no scale to divide by).
 */
export function relativeChange(value: number, baseline: number, mode: 'max' | 'min'): number {
  const change = (value - baseline) / (baseline === 0 ? 1 : Math.abs(baseline));
  return mode === 'max' ? change : -change;
}

/**
 * The score selection maximises or minimises (by `mode` for `best`; a weighted score is always maximised): one
 * task's metric or its mean over the tasks that report it; or the weights' mean of the objectives' relative
 * changes since `baseline`. Null when there is none.
 */
export function selectionScore(plan: SelectionPlan, scores: SplitScores, baseline: ObjectiveValues | null = null): number | null {
  if (plan.kind === 'weighted') {
    const values = objectiveValues(plan.objectives, scores);
    if (values === null || baseline === null) return null;
    let sum = 0;
    let total = 0;
    for (const { task, mode } of plan.objectives) {
      const weight = plan.weights[task]!;
      sum += weight * relativeChange(values[task]!, baseline[task]!, mode);
      total += weight;
    }
    return sum / total;
  }
  if (plan.task !== 'mean') {
    const task = scores[plan.task];
    if (task === undefined) throw new UserError(`model selection reads task '${plan.task}', which is not evaluated`);
    return task[plan.metric] ?? null;
  }
  const values = Object.values(scores)
    .map((s) => s[plan.metric])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Whether `a` is at least as good as `b` on every objective and better on one. */
function dominates(a: ObjectiveValues, b: ObjectiveValues, objectives: readonly SelectionObjective[]): boolean {
  let better = false;
  for (const { task, mode } of objectives) {
    const gain = mode === 'max' ? a[task]! - b[task]! : b[task]! - a[task]!;
    if (gain < 0) return false;
    if (gain > 0) better = true;
  }
  return better;
}

/**
 * The Pareto set of the evaluations with a value for every objective, in epoch order. Epochs with equal values
 * on every objective do not dominate each other: all of them are in the set, or none.
 */
export function paretoEpochs(evaluations: readonly Evaluation[], objectives: readonly SelectionObjective[]): ParetoEpoch[] {
  const valued = evaluations.filter((e): e is Evaluation & { values: ObjectiveValues } => e.values !== null);
  return valued
    .filter((e) => !valued.some((other) => dominates(other.values, e.values, objectives)))
    .map(({ epoch, score, values }) => ({ epoch, score, values }));
}

export class BestWeights {
  private snapshot: Map<Param, Float32Array> | null = null;
  private current: SelectionState = { baseline: null, evaluations: [], bestEpoch: null, bestScore: null, bestScores: null, sinceImprovement: 0 };

  constructor(private readonly plan: SelectionPlan, private readonly params: readonly Param[]) {}

  /** Records an evaluation; returns whether it is the best so far (and so its weights were kept). */
  offer(epoch: number, scores: SplitScores): boolean {
    const state = this.current;
    const values = objectiveValues(this.plan.objectives, scores);
    if (state.baseline === null && values !== null) state.baseline = values;
    const score = selectionScore(this.plan, scores, state.baseline);
    state.evaluations.push({ epoch, score, values });
    const maximise = this.plan.kind === 'weighted' || this.plan.mode === 'max';
    const better = score !== null && Number.isFinite(score) && (state.bestScore === null || (maximise ? score > state.bestScore : score < state.bestScore));
    if (!better) {
      state.sinceImprovement += 1;
      return false;
    }
    state.bestScore = score;
    state.bestEpoch = epoch;
    state.bestScores = scores;
    state.sinceImprovement = 0;
    // On the host, not as tensors: a copy per improvement costs less than holding backend memory.
    this.snapshot = new Map(this.params.map((p) => [p, p.variable.dataSync().slice() as Float32Array]));
    return true;
  }

  /** Whether `patience` evaluations in a row brought no improvement. */
  exhausted(): boolean {
    return this.plan.patience !== null && this.current.sinceImprovement >= this.plan.patience;
  }

  /** A new stage starts with fresh patience. */
  resetPatience(): void {
    this.current.sinceImprovement = 0;
  }

  /** Puts the best weights back; false when no evaluation ever produced a score. */
  restore(): boolean {
    if (this.snapshot === null) return false;
    for (const [param, values] of this.snapshot) {
      tf.tidy(() => param.variable.assign(tf.tensor(values, param.variable.shape)));
    }
    return true;
  }

  /** The evaluated epochs no other beats on the objectives. */
  pareto(): ParetoEpoch[] {
    return paretoEpochs(this.current.evaluations, this.plan.objectives);
  }

  /** Its state for checkpoints: what selection knows (evaluations, best score, patience) and the best weights. */
  readonly state: Checkpointed = {
    save: () => ({
      selection: structuredClone(this.current) as unknown as StateValue,
      snapshot: this.snapshot === null ? null : Object.fromEntries([...this.snapshot].map(([p, values]) => [p.name, values])),
    }),
    restore: (saved) => {
      this.current = structuredClone(field<StateValue>(saved, 'selection')) as unknown as SelectionState;
      const snapshot = field<Record<string, Float32Array> | null>(saved, 'snapshot');
      this.snapshot = snapshot === null ? null : new Map(this.params.map((p) => [p, snapshot[p.name]!]));
    },
  };

  get best(): { epoch: number | null; score: number | null; scores: SplitScores | null } {
    return { epoch: this.current.bestEpoch, score: this.current.bestScore, scores: this.current.bestScores };
  }
}

/** How the score reads in log lines: "valid auc (mean)", "valid weighted score". */
export function describeSelection(plan: SelectionPlan): string {
  return plan.kind === 'weighted' ? 'valid weighted score' : `valid ${plan.metric}${plan.task === 'mean' ? '' : ` of ${plan.task}`}`;
}

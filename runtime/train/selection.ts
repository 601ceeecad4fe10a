/**
 * Model selection: the score of each evaluation by the job's selection plan, the weights of the best
 * one so far (restored at the end), and early stopping after `patience` evaluations without improvement.
 */
import * as tf from '@tensorflow/tfjs';
import type { SelectionPlan } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { Param } from '../model/types.js';
import type { SplitScores } from './evaluate.js';
import { field, type Checkpointed, type StateValue } from '../checkpoint/state.js';

/** The selection metric of one task, or its mean over the tasks that report it; null when none does. */
export function selectionScore(plan: SelectionPlan, scores: SplitScores): number | null {
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

export class BestWeights {
  private snapshot: Map<Param, Float32Array> | null = null;
  private bestScore: number | null = null;
  private bestEpoch: number | null = null;
  private bestScores: SplitScores | null = null;
  private sinceImprovement = 0;

  constructor(private readonly plan: SelectionPlan, private readonly params: readonly Param[]) {}

  /** Records an evaluation; returns whether it is the best so far (and so its weights were kept). */
  offer(epoch: number, scores: SplitScores): boolean {
    const score = selectionScore(this.plan, scores);
    const better =
      score !== null && Number.isFinite(score) && (this.bestScore === null || (this.plan.mode === 'max' ? score > this.bestScore : score < this.bestScore));
    if (!better) {
      this.sinceImprovement += 1;
      return false;
    }
    this.bestScore = score;
    this.bestEpoch = epoch;
    this.bestScores = scores;
    this.sinceImprovement = 0;
    // On the host, not as tensors: a copy per improvement costs less than holding backend memory.
    this.snapshot = new Map(this.params.map((p) => [p, p.variable.dataSync().slice() as Float32Array]));
    return true;
  }

  /** Whether `patience` evaluations in a row brought no improvement. */
  exhausted(): boolean {
    return this.plan.patience !== null && this.sinceImprovement >= this.plan.patience;
  }

  /** A new stage starts with fresh patience. */
  resetPatience(): void {
    this.sinceImprovement = 0;
  }

  /** Puts the best weights back; false when no evaluation ever produced a score. */
  restore(): boolean {
    if (this.snapshot === null) return false;
    for (const [param, values] of this.snapshot) {
      tf.tidy(() => param.variable.assign(tf.tensor(values, param.variable.shape)));
    }
    return true;
  }

  /** Its state for checkpoints: the best evaluation so far, its weights, and the evaluations since. */
  readonly state: Checkpointed = {
    save: () => ({
      score: this.bestScore,
      epoch: this.bestEpoch,
      scores: this.bestScores as StateValue,
      sinceImprovement: this.sinceImprovement,
      snapshot: this.snapshot === null ? null : Object.fromEntries([...this.snapshot].map(([p, values]) => [p.name, values])),
    }),
    restore: (saved) => {
      this.bestScore = field<number | null>(saved, 'score');
      this.bestEpoch = field<number | null>(saved, 'epoch');
      this.bestScores = field<StateValue>(saved, 'scores') as SplitScores | null;
      this.sinceImprovement = field<number>(saved, 'sinceImprovement');
      const snapshot = field<Record<string, Float32Array> | null>(saved, 'snapshot');
      this.snapshot = snapshot === null ? null : new Map(this.params.map((p) => [p, snapshot[p.name]!]));
    },
  };

  get best(): { epoch: number | null; score: number | null; scores: SplitScores | null } {
    return { epoch: this.bestEpoch, score: this.bestScore, scores: this.bestScores };
  }
}

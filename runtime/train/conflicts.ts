/**
 * Gradient conflict telemetry: on a sampled step, the cosine between every pair of the step's task gradients on the
 * parameters two or more of them share, cos_ij = G_ij / √(G_ii G_jj) from their Gram matrix (aggregators/gram.ts),
 * and its summary over a run: per pair, the mean cosine and the share of sampled steps where it was negative. With an
 * aggregation on the shared representation the step has no gradients of the shared parameters per task: it samples the
 * cosines of the tasks' gradients of the representation (over all its rows), and the run marks those rows so.
 */
import type { TaskGradients } from './aggregators/aggregator.js';
import { gramMatrix } from './aggregators/gram.js';
import type { Checkpointed } from '../checkpoint/state.js';

/** One pair of tasks at one sampled step; `cosine` is null when either gradient is zero (no direction to compare). */
export interface TaskConflict {
  tasks: [string, string];
  cosine: number | null;
}

/** Per pair of tasks, over the sampled steps where both had a gradient. */
export interface ConflictSummary {
  tasks: [string, string];
  samples: number;
  meanCosine: number;
  /** The share of those samples with a negative cosine, in [0, 1]. */
  negativeShare: number;
}

/**
 * The cosine of every pair (i < j, in the step's task order), read from one Gram matrix. `gradients[k]` holds task k's
 * gradients of the shared parameters, or (on the shared representation) its one gradient of the representation.
 */
export function taskConflicts({ tasks, gradients }: Pick<TaskGradients, 'tasks' | 'gradients'>): TaskConflict[] {
  if (tasks.length < 2 || (gradients[0]?.length ?? 0) === 0) return [];
  const gram = gramMatrix(gradients);
  const out: TaskConflict[] = [];
  for (let i = 0; i < tasks.length; i++) {
    for (let j = i + 1; j < tasks.length; j++) {
      const norms = gram[i]![i]! * gram[j]![j]!;
      out.push({ tasks: [tasks[i]!, tasks[j]!], cosine: norms > 0 ? gram[i]![j]! / Math.sqrt(norms) : null });
    }
  }
  return out;
}

/** Accumulates sampled conflicts into a summary per pair, in the order the pairs were first seen. */
export class ConflictTally {
  private readonly pairs = new Map<string, { tasks: [string, string]; sum: number; negative: number; samples: number }>();

  add(conflicts: readonly TaskConflict[]): void {
    for (const { tasks, cosine } of conflicts) {
      if (cosine === null) continue;
      const key = tasks.join('\u0000');
      const entry = this.pairs.get(key) ?? { tasks, sum: 0, negative: 0, samples: 0 };
      entry.sum += cosine;
      entry.negative += cosine < 0 ? 1 : 0;
      entry.samples += 1;
      this.pairs.set(key, entry);
    }
  }

  /** Its sums, for checkpoints. */
  readonly state: Checkpointed = {
    save: () => [...this.pairs.values()].map((e) => ({ ...e })),
    restore: (saved) => {
      this.pairs.clear();
      for (const e of saved as { tasks: [string, string]; sum: number; negative: number; samples: number }[]) this.pairs.set(e.tasks.join('\u0000'), { ...e });
    },
  };

  summary(): ConflictSummary[] {
    return [...this.pairs.values()].map((e) => ({ tasks: e.tasks, samples: e.samples, meanCosine: e.sum / e.samples, negativeShare: e.negative / e.samples }));
  }
}

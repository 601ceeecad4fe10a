/**
 * The metrics a task asks for, from its predictions over a whole split (runtime/metrics.ts does the arithmetic).
 * What each metric means is the head's (runtime/model/heads/<kind>.ts). A metric that does not apply to the head,
 * or is undefined on the split, is null.
 */
import { headRuntime } from '../model/heads/index.js';
import type { TaskPredictions } from '../model/heads/head.js';
import type { HeadInfo } from '../model/types.js';

export type { TaskPredictions };

export function taskMetrics(head: HeadInfo, all: TaskPredictions): Record<string, number | null> {
  const { metrics } = headRuntime(head);
  const result: Record<string, number | null> = {};
  for (const metric of head.task.metrics) {
    const compute = metrics[metric];
    result[metric] = compute === null ? null : compute(all, head.units);
  }
  return result;
}

import type { ModulePlan } from '../../../job/job.js';

/**
 * The name of the share a set of per-task columns came from: the compiler names a column
 * `${share}.${task}`. Columns named otherwise (a hand-written job) go by their first column's id.
 */
export function shareName(columns: readonly ModulePlan[]): string {
  const prefixes = columns.map((c) => {
    const task = c.tasks.length === 1 ? c.tasks[0]! : null;
    return task !== null && c.id.endsWith(`.${task}`) ? c.id.slice(0, -(task.length + 1)) : null;
  });
  const first = prefixes[0];
  return first && prefixes.every((p) => p === first) ? first : (columns[0]?.id ?? 'columns');
}

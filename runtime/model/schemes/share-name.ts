import type { ModulePlan } from '../../../job/job.js';

/**
 * The name of the share a set of per-task columns belongs to (it names the share's own parameters, such as its
 * cross-stitch matrices): the job's `share` field; a hand-written job without one goes by its first column's id.
 */
export function shareName(columns: readonly ModulePlan[]): string {
  const first = columns[0];
  return first?.share ?? first?.id ?? 'columns';
}

/**
 * Head kinds, by `HeadPlan.kind`. Every kind of the job has an entry, so a new kind does not compile until it has one:
 * an implementation (one file here), or `notRunnable` until the runtime runs it.
 */
import type { HeadKind } from '../../../job/job.js';
import { notRunnable } from '../../not-runnable.js';
import type { HeadInfo } from '../types.js';
import { binary } from './binary.js';
import { dense } from './dense.js';
import type { HeadEntry, HeadRuntime } from './head.js';
import { multiclass } from './multiclass.js';
import { multilabel } from './multilabel.js';
import { objective } from './objective.js';
import { regression } from './regression.js';
import { span } from './span.js';
import { tagging } from './tagging.js';

export const headKinds = {
  binary,
  multiclass,
  multilabel,
  regression,
  tagging,
  span,
  dense,
  objective,
} satisfies Record<HeadKind, HeadEntry>;

/** The runtime of a task's head, which assertRunnable let through. */
export function headRuntime(head: HeadInfo): HeadRuntime {
  const entry: HeadEntry = headKinds[head.task.head.kind];
  if (!entry.runnable) throw new Error(`a ${head.task.head.kind} head reached the runtime; assertRunnable refuses it`);
  return entry;
}

/** Resolving the job's symbolic widths against what was fitted. */
import type { Width } from '../../compiler/job/job.js';
import type { FittedFeatures } from './api.js';

const TASK_PREFIX = 'task:';

/** The task whose class count a width names (`{ vocab: "task:NAME" }`), or null. */
export function taskOfWidth(width: Width): string | null {
  return typeof width === 'object' && 'vocab' in width && width.vocab.startsWith(TASK_PREFIX) ? width.vocab.slice(TASK_PREFIX.length) : null;
}

/**
 * `{ vocab: "task:NAME" }` is the class count of task NAME (see fit.ts); `{ vocab: id }` the length of
 * feature `id`'s vocabulary (reserved '<pad>'/'<unk>' entries included for tokens and embeddings);
 * `{ sum: [...] }` adds its parts.
 */
export function resolveWidth(width: Width, fitted: FittedFeatures): number {
  if (typeof width === 'number') return width;
  if ('sum' in width) return width.sum.reduce<number>((total, part) => total + resolveWidth(part, fitted), 0);
  const task = taskOfWidth(width);
  const vocab = task !== null ? fitted.classes[task] : fitted.features[width.vocab]?.vocab;
  if (!vocab) throw new Error(`width {vocab: ${width.vocab}}: nothing was fitted under that name`);
  return vocab.length;
}

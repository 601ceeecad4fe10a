/** Resolving the job's symbolic widths against what was fitted. */
import type { Width } from '../../job/job.js';
import type { FittedFeatures } from './api.js';

/** The task whose class count a width names (`{ classes: NAME }`), or null. */
export function taskOfWidth(width: Width): string | null {
  return typeof width === 'object' && 'classes' in width ? width.classes : null;
}

/**
 * `{ classes: NAME }` is the class count of task NAME (see fit.ts); `{ vocab: id }` the length of
 * feature `id`'s vocabulary (reserved '<pad>'/'<unk>' entries included for tokens and embeddings), `{ suffixes: id }`
 * that of its suffix vocabulary;
 * `{ sum: [...] }` adds its parts.
 */
export function resolveWidth(width: Width, fitted: FittedFeatures): number {
  if (typeof width === 'number') return width;
  if ('sum' in width) return width.sum.reduce<number>((total, part) => total + resolveWidth(part, fitted), 0);
  const vocab = 'classes' in width ? fitted.classes[width.classes] : 'suffixes' in width ? fitted.features[width.suffixes]?.suffixVocab : fitted.features[width.vocab]?.vocab;
  if (!vocab) throw new Error(`width ${JSON.stringify(width)}: nothing was fitted under that name`);
  return vocab.length;
}

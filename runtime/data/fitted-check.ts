/** Checks of what was fitted (or loaded) against the job, before any batch is made. */
import type { Job } from '../../job/job.js';
import type { FittedFeatures } from './api.js';
import { fitsChannels } from './feature-kinds.js';
import { learnsClasses } from './fit.js';
import { describeSplit } from './split.js';

/** Rule: every dataset has rows in its train and valid splits. */
export function emptySplitProblems(job: Job, fitted: FittedFeatures): string[] {
  const problems: string[] = [];
  for (const plan of job.datasets) {
    const rows = fitted.rows[plan.name];
    for (const split of ['train', 'valid'] as const) {
      if (rows && rows[split] === 0) {
        problems.push(`dataset ${plan.name} has no rows in its ${split} split (${rows.train + rows.valid + rows.test} rows in all; split ${describeSplit(plan.split)})`);
      }
    }
  }
  return problems;
}

/** Rule: a head with a fixed class count holds every class the training split has. */
export function classCountProblems(job: Job, fitted: FittedFeatures): string[] {
  const problems: string[] = [];
  for (const task of job.tasks) {
    const classes = fitted.classes[task.name];
    if (task.head.classes !== 'vocab' || !classes || typeof task.head.units !== 'number') continue;
    if (classes.length > task.head.units) {
      const shown = classes.slice(0, 8).map((c) => JSON.stringify(c)).join(', ');
      problems.push(`target of task ${task.name} has ${classes.length} classes in the training split (${shown}${classes.length > 8 ? ', …' : ''}), but its head holds ${task.head.units}`);
    }
  }
  return problems;
}

/** Rule: a loaded fitted-features file has what this job needs (it was saved for the same program). */
export function fittedMismatchProblems(job: Job, fitted: FittedFeatures): string[] {
  const problems: string[] = [];
  const needs: Record<string, readonly string[]> = { standardize: ['mean', 'std'], normalize: ['min', 'max'], onehot: ['vocab'], embedding: ['vocab'], tokens: ['vocab'] };
  for (const feature of job.features) {
    const entry = fitted.features[feature.id] as Record<string, unknown> | undefined;
    const t = feature.transform;
    const needed = t.kind === 'image' ? (fitsChannels(t) ? ['channelMean', 'channelStd'] : []) : t.kind === 'tokens' && (t.suffixes ?? 0) > 0 ? ['vocab', 'suffixVocab'] : (needs[t.kind] ?? []);
    const isList = (key: string) => key === 'vocab' || key === 'suffixVocab' || key.startsWith('channel');
    const missing = needed.filter((key) => (isList(key) ? !Array.isArray(entry?.[key]) : typeof entry?.[key] !== 'number'));
    if (missing.length > 0) problems.push(`the fitted features have no ${missing.join('/')} for feature ${feature.id}`);
  }
  for (const task of job.tasks) {
    if (learnsClasses(task) && !Array.isArray(fitted.classes[task.name])) problems.push(`the fitted features have no classes for task ${task.name}`);
  }
  for (const plan of job.datasets) {
    if (!fitted.rows[plan.name]) problems.push(`the fitted features have no row counts for dataset ${plan.name}`);
  }
  return problems;
}

/** Curriculum stages and model selection. */
import { METRIC_KINDS, type StagePlan, type SelectionPlan } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, p, atLeastOne } from './signature.js';
import { int, list, ref, union, oneOf, optional } from './types.js';
import { metrics } from './heads.js';

export type StageEntry = Entry<{ plan(a: Args): StagePlan }>;
export type SelectionEntry = Entry<{ plan(a: Args): SelectionPlan }>;

export const stages = {
  stage: {
    doc: 'a curriculum stage: which tasks train, what is frozen, for how long', runs: true,
    params: [
      p('tasks', list(ref('task')), 'tasks trained in this stage'), p('freeze', list(union(ref('backbone'), ref('share'))), 'backbones or shares whose parameters stay fixed', '[]'),
      p('epochs', optional(int), 'length in epochs', undefined, atLeastOne), p('steps', optional(int), 'length in steps', undefined, atLeastOne),
    ],
    plan: (a) => ({ tasks: a.names('tasks'), frozen: a.names('freeze'), epochs: a.optionalNumber('epochs'), steps: a.optionalNumber('steps') }),
  },
} satisfies Record<string, StageEntry>;

const SELECTION_METRICS = ['loss', ...METRIC_KINDS] as const;

export const selections = {
  best: {
    doc: 'keep the weights with the best validation score; optionally stop early', runs: true,
    params: [
      p('metric', oneOf(...SELECTION_METRICS), 'the validation metric', 'loss'), p('task', union(ref('task'), oneOf('mean')), 'a task, or `mean` over the tasks reporting the metric', 'mean'),
      p('mode', optional(oneOf('max', 'min')), 'higher or lower is better (default: by metric)'), p('patience', optional(int), 'stop after this many evaluations without improvement', undefined, atLeastOne),
    ],
    plan: (a) => {
      const metric = a.choice('metric', SELECTION_METRICS);
      const lowerIsBetter = metric === 'loss' || metrics[metric].lowerIsBetter;
      return { metric, task: a.name('task'), mode: a.optionalChoice('mode', ['max', 'min']) ?? (lowerIsBetter ? 'min' : 'max'), patience: a.optionalNumber('patience') };
    },
  },
} satisfies Record<string, SelectionEntry>;

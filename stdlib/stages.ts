/** Curriculum stages and model selection. */
import type { MetricKind, SelectionMetric, StagePlan, SelectionPlan } from '../job/job.js';
import { SELECTION_METRICS } from '../job/names.js';
import type { Args } from './args.js';
import { type Entry, p, positive, epochCount, stepCount } from './signature.js';
import { int, number, list, record, ref, union, oneOf, optional } from './types.js';
import { metrics } from './heads.js';

export type StageEntry = Entry<{ plan(a: Args): StagePlan }>;
export type SelectionEntry = Entry<{ plan(a: Args, reported: ReportedMetrics): SelectionPlan }>;

export const stages = {
  stage: {
    doc: 'a curriculum stage: which tasks train, what is frozen, for how long', runs: true,
    params: [
      p('tasks', list(ref('task')), 'tasks trained in this stage'), p('freeze', list(union(ref('backbone'), ref('share'))), 'backbones or shares whose parameters stay fixed', '[]'),
      p('epochs', optional(int), 'length in epochs', undefined, epochCount), p('steps', optional(int), 'length in steps', undefined, stepCount),
    ],
    plan: (a) => ({ tasks: a.names('tasks'), frozen: a.names('freeze'), epochs: a.optionalNumber('epochs'), steps: a.optionalNumber('steps') }),
  },
} satisfies Record<string, StageEntry>;

/** Per task, in task order, the metrics it reports (its `metrics`, else its head's): what a selection can read. */
export type ReportedMetrics = Record<string, readonly MetricKind[]>;

/** Higher is better, or lower: the loss and the error metrics go down. */
const direction = (metric: SelectionMetric): 'max' | 'min' => (metric === 'loss' || metrics[metric].lowerIsBetter ? 'min' : 'max');

const patience = p('patience', optional(int), 'stop after this many evaluations without improvement', undefined, epochCount);

export const selections = {
  best: {
    doc: 'keep the weights with the best validation score; optionally stop early', runs: true,
    params: [
      p('metric', oneOf(...SELECTION_METRICS), 'the validation metric', 'loss'), p('task', union(ref('task'), oneOf('mean')), 'a task, or `mean` over the tasks reporting the metric', 'mean'),
      p('mode', optional(oneOf('max', 'min')), 'higher or lower is better (default: by metric)'), patience,
    ],
    plan: (a, reported) => {
      const metric = a.choice('metric', SELECTION_METRICS);
      const mode = a.optionalChoice('mode', ['max', 'min']) ?? direction(metric);
      // The Pareto set reads every task: on this metric where the task reports it, else on its loss.
      const objectives = Object.entries(reported).map(([task, has]) =>
        (metric === 'loss' || has.includes(metric) ? { task, metric, mode } : { task, metric: 'loss' as const, mode: 'min' as const }));
      return { kind: 'best', metric, task: a.name('task'), mode, objectives, patience: a.optionalNumber('patience') };
    },
  },
  weighted: {
    doc: "keep the weights with the best weighted score over the tasks: the weighted mean of each task metric's relative change since the first evaluation, signed so that better is positive; optionally stop early",
    runs: true,
    params: [
      p('metrics', record(oneOf(...SELECTION_METRICS), 'task'), 'the validation metric per task (default: the first it reports)', '{}'),
      p('weights', record(number, 'task'), 'the weight per task (default 1)', '{}', positive), patience,
    ],
    plan: (a, reported) => {
      const chosen = a.choiceRecord('metrics', SELECTION_METRICS);
      const given = a.numberRecord('weights');
      const objectives = Object.entries(reported).map(([task, has]) => {
        const metric = chosen[task] ?? has[0] ?? 'loss';
        return { task, metric, mode: direction(metric) };
      });
      return { kind: 'weighted', weights: Object.fromEntries(objectives.map((o) => [o.task, given[o.task] ?? 1])), objectives, patience: a.optionalNumber('patience') };
    },
  },
} satisfies Record<string, SelectionEntry>;

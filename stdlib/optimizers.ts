/** Optimizers and learning-rate schedules. A learning rate is a number (a constant schedule) or a schedule. */
import type { OptimizerKind, OptimizerPlan, SchedulePlan, ScheduleKind } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, p, notNegative, positive, rate, stepCount, stepsOrNone } from './signature.js';
import { bool, number, int, union, ctor, optional } from './types.js';

export type OptimizerEntry<K extends OptimizerKind = OptimizerKind> = Entry<{ plan(a: Args): Extract<OptimizerPlan, { kind: K }> }>;
export type ScheduleEntry = Entry<{ plan(a: Args): SchedulePlan }>;

const lr = (dflt: string) => p('lr', union(number, ctor('schedule')), 'learning rate or schedule', dflt, positive);
const schedule = (a: Args): SchedulePlan => (a.isNumber('lr') ? { kind: 'constant', lr: a.number('lr') } : a.plan('lr', 'schedule'));
const weightDecay = p('weight_decay', number, 'L2 penalty on weights', '0', notNegative);
/** What either optimizer does to the gradients before its update. */
const gradientParams = [
  p('clip_norm', optional(number), 'scale the step\'s gradients down to this global L2 norm when above it (default: no clipping)', undefined, positive),
  p('normalize_task_gradients', bool, 'divide each task\'s gradient of the shared parameters by its L2 norm before the aggregation combines them (one backward pass per task)', 'false'),
];
const gradientPlan = (a: Args) => ({ clipNorm: a.optionalNumber('clip_norm'), normalizeTaskGradients: a.bool('normalize_task_gradients') });

export const optimizers = {
  adam: {
    doc: 'Adam', runs: true,
    params: [
      lr('0.001'), p('beta1', number, 'first-moment decay', '0.9', rate), p('beta2', number, 'second-moment decay', '0.999', rate),
      p('epsilon', number, 'numerical floor', '1e-7', positive), weightDecay, ...gradientParams,
    ],
    plan: (a) => ({
      kind: 'adam', lr: schedule(a), beta1: a.number('beta1'), beta2: a.number('beta2'), epsilon: a.number('epsilon'), weightDecay: a.number('weight_decay'),
      ...gradientPlan(a),
    }),
  },
  sgd: {
    doc: 'stochastic gradient descent', runs: true,
    params: [lr('0.01'), p('momentum', number, 'momentum', '0', rate), weightDecay, ...gradientParams],
    plan: (a) => ({ kind: 'sgd', lr: schedule(a), momentum: a.number('momentum'), weightDecay: a.number('weight_decay'), ...gradientPlan(a) }),
  },
} satisfies { [K in OptimizerKind]: OptimizerEntry<K> };

const rateParam = (doc: string) => p('lr', number, doc, undefined, positive);
const warmup = p('warmup', int, 'warmup steps', '0', stepsOrNone);

export const schedules = {
  constant: {
    doc: 'a fixed learning rate', runs: true, params: [rateParam('the rate')],
    plan: (a) => ({ kind: 'constant', lr: a.number('lr') }),
  },
  step_decay: {
    doc: 'multiply the rate by `gamma` every `every` steps', runs: true,
    params: [rateParam('initial rate'), p('every', int, 'steps between decays', undefined, stepCount), p('gamma', number, 'decay factor', '0.1', positive)],
    plan: (a) => ({ kind: 'step', lr: a.number('lr'), every: a.number('every'), gamma: a.number('gamma') }),
  },
  cosine: {
    doc: 'linear warmup, then cosine decay to `min` over the run', runs: true,
    params: [rateParam('peak rate'), warmup, p('min', number, 'final rate', '0', notNegative)],
    plan: (a) => ({ kind: 'cosine', lr: a.number('lr'), warmup: a.number('warmup'), min: a.number('min') }),
  },
  linear: {
    doc: 'linear warmup, then linear decay to `end` over the run', runs: true,
    params: [rateParam('peak rate'), warmup, p('end', number, 'final rate', '0', notNegative)],
    plan: (a) => ({ kind: 'linear', lr: a.number('lr'), warmup: a.number('warmup'), end: a.number('end') }),
  },
} satisfies Record<string, ScheduleEntry>;

/** The constructor of each kind of schedule plan: every kind the job knows has one. */
export const scheduleOfKind = { constant: 'constant', step: 'step_decay', cosine: 'cosine', linear: 'linear' } as const satisfies Record<ScheduleKind, keyof typeof schedules>;

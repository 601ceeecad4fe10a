/** The `train` block's values → the job's TrainingPlan (defaults already filled in by elaboration). */
import type { Value, ValueOf } from '../check/values.js';
import type {
  TrainingPlan, OptimizerPlan, SchedulePlan, SamplingPlan, WeightingPlan, AggregationPlan, StagePlan, SelectionPlan, MetricKind,
} from '../../job/job.js';
import type { CheckedProgram } from '../check/model.js';
import { recordOf } from '../util/record-of.js';
import { compareText } from '../util/compare.js';

type Args = ValueOf<'call'>['args'];
const n = (v: Value | undefined, fallback: number): number => (v?.v === 'number' ? v.n : fallback);
const nOrNull = (v: Value | undefined): number | null => (v?.v === 'number' ? v.n : null);
const call = (v: Value | undefined): ValueOf<'call'> | null => (v?.v === 'call' ? v : null);
const names = (v: Value | undefined): string[] => (v?.v === 'list' ? v.items.flatMap((i) => (i.v === 'ref' ? [i.name] : [])) : []);
const numberRecord = (v: Value | undefined): Record<string, number> =>
  recordOf((v?.v === 'record' ? v.entries : []).flatMap((e) => (e.value.v === 'number' ? [[e.key, e.value.n] as const] : [])).sort(([a], [b]) => compareText(a, b)));

function schedule(v: Value | undefined, fallback: number): SchedulePlan {
  if (v?.v === 'number') return { kind: 'constant', lr: v.n };
  const c = call(v);
  if (!c) return { kind: 'constant', lr: fallback };
  const a: Args = c.args;
  switch (c.ctor.name) {
    case 'step_decay': return { kind: 'step', lr: n(a.lr, fallback), every: n(a.every, 1000), gamma: n(a.gamma, 0.1) };
    case 'cosine': return { kind: 'cosine', lr: n(a.lr, fallback), warmup: n(a.warmup, 0), min: n(a.min, 0) };
    case 'linear': return { kind: 'linear', lr: n(a.lr, fallback), warmup: n(a.warmup, 0), end: n(a.end, 0) };
    default: return { kind: 'constant', lr: n(a.lr, fallback) };
  }
}

function optimizer(v: Value | undefined): OptimizerPlan {
  const c = call(v);
  const a: Args = c?.args ?? {};
  if (c?.ctor.name === 'sgd') return { kind: 'sgd', lr: schedule(a.lr, 0.01), momentum: n(a.momentum, 0), weightDecay: n(a.weight_decay, 0) };
  return { kind: 'adam', lr: schedule(a.lr, 0.001), beta1: n(a.beta1, 0.9), beta2: n(a.beta2, 0.999), epsilon: n(a.epsilon, 1e-7), weightDecay: n(a.weight_decay, 0) };
}

export function sampling(v: Value | undefined): SamplingPlan {
  const c = call(v);
  switch (c?.ctor.name) {
    case 'uniform': return { kind: 'uniform' };
    case 'temperature': return { kind: 'temperature', t: n(c.args.t, 2), cap: nOrNull(c.args.cap) };
    case 'explicit': return { kind: 'explicit', probs: numberRecord(c.args.probs) };
    case 'scheduled':
      return {
        kind: 'scheduled',
        phases: (c.args.phases?.v === 'list' ? c.args.phases.items : []).flatMap((p) => (p.v === 'call' ? [{ until: nOrNull(p.args.until), sampling: sampling(p.args.sampling) }] : [])),
      };
    default: return { kind: 'proportional' };
  }
}

function weighting(v: Value | undefined): WeightingPlan {
  const c = call(v);
  switch (c?.ctor.name) {
    case 'equal': return { kind: 'equal' };
    case 'uncertainty': return { kind: 'uncertainty' };
    case 'dwa': return { kind: 'dwa', t: n(c.args.t, 2) };
    case 'gradnorm': return { kind: 'gradnorm', alpha: n(c.args.alpha, 1.5) };
    default: return { kind: 'static' };
  }
}

function aggregation(v: Value | undefined): AggregationPlan {
  const c = call(v);
  switch (c?.ctor.name) {
    case 'pcgrad': return { kind: 'pcgrad' };
    case 'cagrad': return { kind: 'cagrad', c: n(c.args.c, 0.5) };
    case 'mgda': return { kind: 'mgda' };
    default: return { kind: 'sum' };
  }
}

/** Frozen backbones and shares become the module owners built from them (resolved in lowering). */
function stages(v: Value | undefined, train: Record<string, Value>, allTasks: string[]): StagePlan[] {
  const items = v?.v === 'list' ? v.items : [];
  const given = items.flatMap((s) => (s.v === 'call' ? [{ tasks: names(s.args.tasks), frozen: names(s.args.freeze), epochs: nOrNull(s.args.epochs), steps: nOrNull(s.args.steps) }] : []));
  if (given.length) return given;
  const steps = nOrNull(train.steps);
  return [{ tasks: allTasks, frozen: [], epochs: steps === null ? n(train.epochs, 1) : null, steps }];
}

function selection(v: Value | undefined): SelectionPlan {
  const c = call(v);
  const a: Args = c?.args ?? {};
  const metric = (a.metric?.v === 'enum' ? a.metric.name : 'loss') as MetricKind | 'loss';
  const lowerIsBetter = ['loss', 'logloss', 'mse', 'mae'].includes(metric);
  const mode = a.mode?.v === 'enum' ? (a.mode.name as 'max' | 'min') : lowerIsBetter ? 'min' : 'max';
  const task = a.task?.v === 'ref' ? a.task.name : 'mean';
  return { metric, task, mode, patience: nOrNull(a.patience) };
}

export function trainingPlan(program: CheckedProgram, liveTasks: string[]): TrainingPlan {
  const t = program.train;
  return {
    optimizer: optimizer(t.optimizer),
    taskLr: numberRecord(t.task_lr),
    batchSize: n(t.batch_size, 256),
    seed: n(t.seed, 0),
    sampling: sampling(t.sampling),
    weighting: weighting(t.weighting),
    aggregation: aggregation(t.aggregation),
    stages: stages(t.stages, t, liveTasks),
    selection: selection(t.select),
    evalEvery: n(t.eval_every, 1),
    shuffleBuffer: n(t.shuffle_buffer, 8192),
  };
}

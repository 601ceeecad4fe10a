/**
 * The `train` block's values → the job's TrainingPlan. Each call lowers through its stdlib entry; elaboration has
 * filled in every default, so nothing here has a fallback of its own.
 */
import type { TrainingPlan, StagePlan } from '../../job/job.js';
import type { CheckedProgram } from '../check/model.js';
import { fieldsOf } from '../check/args.js';
import { CONFLICTS_EVERY_PER_TASK, EPOCHS_WITHOUT_LENGTH } from '../../stdlib/index.js';

export function trainingPlan(program: CheckedProgram, liveTasks: string[]): TrainingPlan {
  const t = fieldsOf(program.train, 'the `train` block');
  const given = t.plans('stages', 'stage');
  // Without stages, one stage trains every task for the run's length: `steps` if given, else `epochs`.
  const steps = t.optionalNumber('steps');
  const whole: StagePlan = { tasks: liveTasks, frozen: [], epochs: steps === null ? t.optionalNumber('epochs') ?? EPOCHS_WITHOUT_LENGTH : null, steps };
  // Sampling conflicts is cheap only where the aggregation computes per-task gradients anyway.
  const aggregation = program.train.aggregation;
  const perTask = aggregation?.v === 'call' && aggregation.ctor.category === 'aggregation' && aggregation.ctor.perTaskGradients;
  return {
    optimizer: t.plan('optimizer', 'optimizer'),
    taskLr: t.numberRecord('task_lr'),
    batchSize: t.number('batch_size'),
    seed: t.number('seed'),
    sampling: t.plan('sampling', 'sampling'),
    weighting: t.plan('weighting', 'weighting'),
    aggregation: t.plan('aggregation', 'aggregation'),
    stages: given.length ? given : [whole],
    selection: t.plan('select', 'selection'),
    evalEvery: t.number('eval_every'),
    conflictsEvery: t.optionalNumber('conflicts_every') ?? (perTask ? CONFLICTS_EVERY_PER_TASK : 0),
    shuffleBuffer: t.number('shuffle_buffer'),
    accept: program.train.accept?.v === 'call' ? t.plan('accept', 'acceptance') : null,
  };
}

/**
 * The `train` block's values → the job's TrainingPlan. Each call lowers through its stdlib entry; elaboration has
 * filled in every default, so nothing here has a fallback of its own.
 */
import type { TrainingPlan, StagePlan, SelectionPlan } from '../../job/job.js';
import { taskMetrics, type CheckedProgram } from '../check/model.js';
import { UnreadableArgument, argsOf, fieldsOf } from '../check/args.js';
import { compareText } from '../../shared/compare.js';
import { CONFLICTS_EVERY_PER_TASK, EPOCHS_WITHOUT_LENGTH, isOf } from '../../stdlib/index.js';

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
    selection: selectionPlan(program, liveTasks),
    evalEvery: t.number('eval_every'),
    conflictsEvery: t.optionalNumber('conflicts_every') ?? (perTask ? CONFLICTS_EVERY_PER_TASK : 0),
    shuffleBuffer: t.number('shuffle_buffer'),
    accept: program.train.accept?.v === 'call' ? t.plan('accept', 'acceptance') : null,
  };
}

/** The selection reads what each task reports, so its entry lowers with the tasks' metrics (in task order). */
function selectionPlan(program: CheckedProgram, liveTasks: string[]): SelectionPlan {
  const select = program.train.select;
  if (select?.v !== 'call' || !isOf(select.ctor, 'selection')) throw new UnreadableArgument(`the \`train\` block \`select\`: expected a selection call, found ${select?.v ?? 'nothing'}`);
  const reported = Object.fromEntries([...liveTasks].sort(compareText).map((t) => [t, taskMetrics(program.tasks.get(t)!)]));
  return select.ctor.plan(argsOf(select), reported);
}

/**
 * The run laid out in steps: per stage, the batch groups that train, the length of an epoch, and how
 * many epochs and steps it runs. An epoch is Σ over its groups of ⌈training rows / batch size⌉ steps.
 */
import type { BatchGroupPlan, Job, StagePlan } from '../../job/job.js';
import type { FittedFeatures } from '../data/api.js';
import { UserError } from '../errors.js';

export interface StageRun {
  index: number;
  plan: StagePlan;
  /** The groups with a task that trains in this stage, restricted to those tasks. */
  groups: BatchGroupPlan[];
  stepsPerEpoch: number;
  epochs: number;
  steps: number;
  /** Training rows of each trained task's dataset (what proportional and temperature sampling read). */
  rowsPerTask: Record<string, number>;
}

export function planStages(job: Job, fitted: FittedFeatures): StageRun[] {
  if (job.training.stages.length === 0) throw new UserError('the job has no training stage; the compiler should give it one');
  const batchSize = job.training.batchSize;
  if (!(batchSize >= 1)) throw new UserError(`the batch size must be at least 1, not ${batchSize}`);
  const known = new Set(job.tasks.map((t) => t.name));
  const trainRows = (dataset: string) => fitted.rows[dataset]?.train ?? 0;
  return job.training.stages.map((plan, index) => {
    for (const task of plan.tasks) {
      if (!known.has(task)) throw new UserError(`training stage ${index + 1} trains task '${task}', which the job does not define`);
    }
    const training = new Set(plan.tasks);
    const groups = job.batchGroups
      .map((g) => ({ ...g, tasks: g.tasks.filter((t) => training.has(t)) }))
      .filter((g) => g.tasks.length > 0 && trainRows(g.dataset) > 0);
    if (groups.length === 0) {
      throw new UserError(`training stage ${index + 1} has no task with training rows (tasks: ${plan.tasks.join(', ')})`);
    }
    const stepsPerEpoch = groups.reduce((sum, g) => sum + Math.ceil(trainRows(g.dataset) / batchSize), 0);
    let epochs: number;
    let steps: number;
    if (plan.steps !== null) {
      steps = plan.steps;
      epochs = Math.ceil(steps / stepsPerEpoch);
    } else if (plan.epochs !== null) {
      epochs = plan.epochs;
      steps = epochs * stepsPerEpoch;
    } else {
      throw new UserError(`training stage ${index + 1} gives neither epochs nor steps`);
    }
    const rowsPerTask: Record<string, number> = {};
    for (const g of groups) for (const t of g.tasks) rowsPerTask[t] = trainRows(g.dataset);
    return { index, plan, groups, stepsPerEpoch, epochs, steps, rowsPerTask };
  });
}

/**
 * One training step: forward the batch through every task it trains, weight their masked losses, add the model's
 * penalty on the parameters it trains (soft sharing's tie), differentiate, update. Everything the step allocates is
 * freed before it returns.
 *
 * How it differentiates is the aggregator's choice (aggregators/):
 *   summed    one forward pass for all tasks (one backbone pass), one backward pass of the total loss (sum)
 *   per task  each task's weighted loss differentiated on its own (task-gradients.ts), its gradient of the shared
 *             parameters handed to the aggregator, which returns the update of those; also for `sum` when the
 *             weighting balances the task gradients (db_mtl) or the optimizer normalises them
 *             (normalize_task_gradients, task-gradients.ts's normalizedFirst)
 *
 *   on the representation   an aggregation `on: representation` (representation-gradients.ts): each task's
 *             gradient of the shared representation, weighed by the aggregator, then one backward pass through the
 *             shared trunk; a step of one task takes the per-task path (the same update, nothing to weigh)
 *
 * Every `conflictsEvery` steps the step also samples gradient conflicts (conflicts.ts): the cosines of its task
 * gradients on the shared parameters. On the per-task path they come from the gradients the aggregator gets; on the
 * summed path the step differentiates each task apart for that alone, under the summed pass's dropout masks, and
 * still applies the summed gradient, so a run's weights do not depend on whether it samples. On the representation
 * they are the cosines of the tasks' gradients of the representation, the ones the step weighs.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/api.js';
import { onRepresentation } from '../../job/job.js';
import { moduleGraph, type LayerRef } from '../model/graph.js';
import { sharedRepresentation } from '../model/representation.js';
import type { AuxiliaryLosses, DropoutSeeds, MtlModel, Param } from '../model/types.js';
import { UserError } from '../errors.js';
import { representationGradients } from './representation-gradients.js';
import { makeAggregator, type Aggregator } from './aggregators/index.js';
import type { TaskWeigher } from './aggregators/aggregator.js';
import { sumOfTasks } from './aggregators/sum.js';
import { inputTensors, labelTensors, type TaskLabels } from './labels.js';
import { taskLoss, withAuxiliary } from './loss.js';
import type { Optimizer, ParamGradient } from './optimizer.js';
import { taskConflicts, type TaskConflict } from './conflicts.js';
import { eachTaskGradients, normalizedFirst, sharedRows, taskGradients, type StepGradients, type TaskGradientPlan } from './task-gradients.js';
import { makeWeighting, weightedTotal, type LossWeighting } from './weightings/index.js';
import { DenseStep, denseStepPlan } from './dense-step.js';

export interface TrainStepOptions {
  /** Tasks this step may train (a stage's tasks); of them, those with labels in the batch train. Default: all. */
  tasks?: readonly string[];
  /** Modules whose parameters stay fixed. */
  frozen?: readonly string[];
  /** Default: the job's static weights (equal weighting gives 1). */
  weighting?: LossWeighting;
  /** Default: the job's aggregation. Tests inject their own. */
  aggregator?: Aggregator;
  /** Divide each task's gradient of the shared parameters by its norm before aggregating; default: the job's optimizer's option. */
  normalizeTaskGradients?: boolean;
  /** The learning rate at a step; default: 0.001. */
  learningRate?: (step: number) => number;
  /** The first step's index (steps continue counting across stages). */
  firstStep?: number;
  /** Receives each step's per-task losses (before weighting). */
  onTaskLosses?: (losses: Readonly<Record<string, number>>) => void;
  /** Sample the gradient conflicts of every this many steps (the steps whose 1-based index it divides); 0 or absent: never. */
  conflictsEvery?: number;
  /** Receives a sampled step's conflicts, with the step's 1-based index (steps count across stages). */
  onConflicts?: (step: number, conflicts: readonly TaskConflict[]) => void;
  /**
   * Run the steps the fused dense step can (dense-step.ts: optimization `fused-dense-step`) on it; default false. Only
   * for a weighting and aggregation made from the job (the training loop's): the fused step reads their kinds there.
   */
  denseStep?: boolean;
  /** Told how long each fused dense step's update took, in ms (benchmarks: the optimizer's share of a step). */
  onDenseUpdate?: (ms: number) => void;
}

/**
 * Trains on one batch and returns the step's total loss (weighted task losses plus the penalty). `tasks` narrows the step to a
 * batch group's tasks (a batch carries labels for every task of its dataset, some of them read
 * through other inputs, which their own group trains).
 */
export type TrainStep = ((batch: Batch, tasks?: readonly string[]) => number) & {
  /**
   * Writes back what fused dense steps keep to themselves (the parameters and Adam's moments): call before anything
   * else reads the model or the optimizer (evaluation, checkpoints, the run's end). Nothing to do without them.
   */
  flush(): void;
};

/** What one set of trained tasks needs, worked out once: the parameters that get gradients, the inputs to upload. */
interface StepPlan {
  tasks: string[];
  params: Param[];
  inputs: Set<string>;
  /** For the per-task path, worked out when first needed. */
  perTask: TaskGradientPlan | null;
  /** On the representation, the layer the tasks share, worked out when first needed. */
  representation: LayerRef | null;
  /** The fused dense step of these tasks and the parameters it updates; null when it cannot run them; undefined until asked. */
  dense?: { step: DenseStep; trained: ReadonlySet<Param> } | null;
}

/** What a step's gradient computation gives back: the total loss, kept task losses (when asked for), gradients to apply. */
export function makeTrainStep(model: MtlModel, optimizer: Optimizer, options: TrainStepOptions = {}): TrainStep {
  const allowed = new Set(options.tasks ?? model.heads.keys());
  const weighting = options.weighting ?? makeWeighting({ ...model.job, training: { ...model.job.training, weighting: { kind: 'static' } } });
  const chosen = options.aggregator ?? makeAggregator(model.job.training.aggregation, model.job.training.seed);
  const normalize = options.normalizeTaskGradients ?? model.job.training.optimizer.normalizeTaskGradients;
  const aggregator = normalize ? normalizedFirst(chosen) : chosen;
  const learningRate = options.learningRate ?? (() => 0.001);
  let step = options.firstStep ?? 0;
  const weigh = onRepresentation(model.job.training.aggregation) ? weighOf(chosen, weighting, normalize) : null;
  const graph = weigh ? moduleGraph(model.job) : null;
  const representationOf = (plan: StepPlan): LayerRef => {
    if (!plan.representation) {
      const found = sharedRepresentation(graph!, plan.tasks);
      if ('why' in found) throw new Error(`the step aggregates on the shared representation, but ${found.why}; assertRunnable refuses such a job`);
      plan.representation = found.at;
    }
    return plan.representation;
  };

  const plans = new Map<string, StepPlan>();
  const planFor = (batch: Batch, only: readonly string[] | undefined): StepPlan => {
    const tasks = Object.keys(batch.labels).filter((t) => allowed.has(t) && model.heads.has(t) && (!only || only.includes(t)));
    const key = tasks.join('\u0000');
    let plan = plans.get(key);
    if (!plan) {
      const taskSet = new Set(tasks);
      const params = [
        ...model.paramsFor(tasks, options.frozen),
        ...weighting.params.filter((p) => p.owner.kind === 'weighting' && taskSet.has(p.owner.task)),
      ];
      plan = { tasks, params, inputs: new Set(tasks.map((t) => model.heads.get(t)!.task.input)), perTask: null, representation: null };
      plans.set(key, plan);
    }
    return plan;
  };

  // The fused dense step whose memory holds the model, if any.
  let holding: DenseStep | null = null;
  const denseStepOf = (plan: StepPlan): StepPlan['dense'] => {
    const adam = model.job.training.optimizer;
    if (!options.denseStep || adam.kind !== 'adam') return null;
    if (plan.dense === undefined) {
      const network = denseStepPlan(model, plan.tasks, weighting.current());
      const step = 'why' in network ? null : DenseStep.create(network, adam, optimizer);
      plan.dense = step ? { step, trained: new Set(plan.params) } : null;
    }
    return plan.dense;
  };
  const flush = () => {
    holding?.flush();
    holding = null;
  };

  const trainStep = (batch: Batch, only?: readonly string[]): number => {
    const plan = planFor(batch, only);
    if (plan.tasks.length === 0) {
      throw new Error(`a batch of dataset '${batch.dataset}' has labels for none of the tasks it should train (${[...(only ?? allowed)].join(', ')})`);
    }
    const wantTaskLosses = options.onTaskLosses !== undefined || weighting.endStep !== undefined;
    const dense = denseStepOf(plan);
    if (holding !== (dense?.step ?? null)) flush();
    if (dense) {
      holding = dense.step;
      const { value, taskLosses, optimizerMs } = dense.step.run(batch, dense.trained, learningRate(step), model.job.training.optimizer.clipNorm);
      options.onDenseUpdate?.(optimizerMs);
      step += 1;
      if (wantTaskLosses) options.onTaskLosses?.(Object.fromEntries(plan.tasks.map((t, i) => [t, taskLosses[i]!])));
      return value;
    }
    weighting.beginStep?.(plan.tasks);
    const every = options.conflictsEvery ?? 0;
    const sampled = every > 0 && (step + 1) % every === 0 && plan.tasks.length >= 2;
    let conflicts: TaskConflict[] = [];
    let kept: tf.Scalar[] = [];
    const losses = tf.tidy(() => {
      const inputs = inputTensors(batch, plan.inputs);
      const labels = new Map(plan.tasks.map((t) => [t, labelTensors(model.heads.get(t)!, batch.labels[t]!, batch.size)]));
      let result: StepGradients;
      if (weigh && plan.tasks.length >= 2) {
        plan.perTask ??= planTaskGradients(model, weighting, plan, options.frozen);
        const onZ = representationGradients(model, weighting, plan.perTask, representationOf(plan), weigh, inputs, labels, wantTaskLosses);
        if (sampled) conflicts = taskConflicts({ tasks: plan.tasks, gradients: onZ.representationGradients.map((g) => [g]) });
        result = onZ;
      } else if (aggregator.perTask || weighting.balance) {
        plan.perTask ??= planTaskGradients(model, weighting, plan, options.frozen);
        const observe = sampled ? (gradients: Parameters<typeof taskConflicts>[0]) => (conflicts = taskConflicts(gradients)) : undefined;
        result = taskGradients(model, weighting, plan.perTask, aggregator.perTask ? aggregator : sumOfTasks, inputs, labels, wantTaskLosses, observe);
      } else {
        const seeds: DropoutSeeds = new Map();
        result = summedGradients(model, weighting, plan, inputs, labels, wantTaskLosses, seeds);
        if (sampled) {
          plan.perTask ??= planTaskGradients(model, weighting, plan, options.frozen);
          const { byTask } = eachTaskGradients(model, weighting, plan.perTask, inputs, labels, seeds, false);
          conflicts = taskConflicts(sharedRows(plan.perTask, byTask));
        }
      }
      kept = result.taskLosses;
      optimizer.apply(result.gradients, learningRate(step));
      return wantTaskLosses ? tf.stack([result.value, ...kept]) : result.value;
    });
    kept.forEach((l) => l.dispose());
    step += 1;
    if (sampled && conflicts.length > 0) options.onConflicts?.(step, conflicts);
    // One read per step: the total and every task's loss come back together.
    const values = losses.dataSync();
    losses.dispose();
    if (wantTaskLosses) {
      const taskLoss = Object.fromEntries(plan.tasks.map((t, i) => [t, values[i + 1]!]));
      weighting.endStep?.(taskLoss);
      options.onTaskLosses?.(taskLoss);
    }
    return values[0]!;
  };
  return Object.assign(trainStep, { flush });
}

/**
 * The task weights of an aggregation on the representation: its aggregator's `weigh`. What works on the task gradients
 * of the shared parameters (a weighting that balances them, normalize_task_gradients) cannot run there: the compiler
 * refuses it (MTL0409), and so does this, for a job written by hand.
 */
function weighOf(aggregator: Aggregator, weighting: LossWeighting, normalize: boolean): TaskWeigher {
  if (!aggregator.perTask || !aggregator.weigh) throw new Error('the job aggregates on the shared representation, but the step\'s aggregator gives no task weights (`weigh`)');
  if (weighting.balance || normalize) {
    const what = weighting.balance ? 'the weighting balances' : '`normalize_task_gradients` divides';
    throw new UserError(`${what} each task's gradient of the shared parameters, which an aggregation on the shared representation does not compute; aggregate on the parameters`);
  }
  return aggregator.weigh;
}

/** The summed step: one forward pass for all tasks, one backward pass of weighted losses plus penalty. */
function summedGradients(
  model: MtlModel,
  weighting: LossWeighting,
  plan: StepPlan,
  inputs: Record<string, tf.Tensor>,
  labels: ReadonlyMap<string, TaskLabels>,
  keepTaskLosses: boolean,
  seeds: DropoutSeeds,
): StepGradients {
  let taskLosses: tf.Scalar[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const auxiliary: AuxiliaryLosses = new Map();
    const logits = model.forward(inputs, plan.tasks, true, seeds, undefined, auxiliary);
    const byTask = new Map(plan.tasks.map((t) => [t, taskLoss(model.heads.get(t)!, logits.get(t)!, labels.get(t)!)]));
    // The tape's forward pass frees everything but its result: keep the task losses to read them.
    if (keepTaskLosses) taskLosses = [...byTask.values()].map((l) => tf.keep(l));
    const total = weightedTotal(weighting, withAuxiliary(byTask, auxiliary));
    const penalty = model.penalty(plan.params);
    return penalty === null ? total : tf.add(total, penalty);
  }, plan.params.map((p) => p.variable));
  const gradients: ParamGradient[] = [];
  for (const param of plan.params) {
    const gradient = grads[param.variable.name];
    if (gradient) gradients.push({ param, gradient });
  }
  return { value, taskLosses, gradients };
}

/** Which of the step's parameters each task depends on, and which several share; worked out once per set of tasks. */
function planTaskGradients(model: MtlModel, weighting: LossWeighting, plan: StepPlan, frozen: readonly string[] | undefined): TaskGradientPlan {
  const trained = new Set(plan.params);
  const readers = new Map<Param, string[]>();
  for (const task of plan.tasks) {
    const own = [...model.paramsFor([task], frozen), ...weighting.params.filter((p) => p.owner.kind === 'weighting' && p.owner.task === task)];
    for (const param of own.filter((p) => trained.has(p))) readers.set(param, [...(readers.get(param) ?? []), task]);
  }
  return {
    tasks: plan.tasks,
    params: plan.params,
    readers,
    own: new Map(plan.tasks.map((t) => [t, plan.params.filter((p) => readers.get(p)?.includes(t))])),
    shared: plan.params.filter((p) => (readers.get(p)?.length ?? 0) >= 2),
    // The penalty applies when it ties a trained parameter, which does not change from step to step.
    penalized: tf.tidy(() => model.penalty(plan.params) !== null),
  };
}

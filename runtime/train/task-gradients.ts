/**
 * The per-task step: each task's weighted loss differentiated on its own, for aggregators that need per-task gradients.
 *
 * tfjs keeps no tape across backward passes, so each task runs its own forward pass, of what it reads only, under its
 * own tape; the passes share the step's dropout masks (DropoutSeeds), so each task sees the network the summed step
 * would. Task k's pass differentiates w_k·L_k (its weighting's term) with respect to the parameters it depends on.
 * The parameters two or more tasks depend on get the aggregator's gradient; a parameter only one task depends on gets
 * that task's. A penalty (soft sharing's tie) is not a task's: it is differentiated apart and added to both.
 */
import * as tf from '@tensorflow/tfjs';
import type { AuxiliaryLosses, DropoutSeeds, MtlModel, Param } from '../model/types.js';
import type { Aggregator } from './aggregators/index.js';
import type { TaskGradients } from './aggregators/aggregator.js';
import type { TaskLabels } from './labels.js';
import { taskLoss, withAuxiliary } from './loss.js';
import type { ParamGradient } from './optimizer.js';
import { sumOfTasks } from './aggregators/sum.js';
import { sumInOrder, type LossWeighting } from './weightings/index.js';

/** What a step differentiates to: its total loss, each task's loss (when asked for) and the gradients to apply. */
export interface StepGradients {
  value: tf.Scalar;
  taskLosses: tf.Scalar[];
  gradients: ParamGradient[];
}

export interface TaskGradientPlan {
  readonly tasks: readonly string[];
  /** The step's parameters, in build order (weighting parameters last). */
  readonly params: readonly Param[];
  /** The tasks whose weighted loss depends on each parameter. */
  readonly readers: ReadonlyMap<Param, readonly string[]>;
  /** Per task, the parameters its weighted loss depends on, in build order. */
  readonly own: ReadonlyMap<string, readonly Param[]>;
  /** The parameters two or more tasks depend on, in build order: what the aggregator gets. */
  readonly shared: readonly Param[];
  /** Whether the model's penalty ties a trained parameter. */
  readonly penalized: boolean;
}

export function taskGradients(
  model: MtlModel,
  weighting: LossWeighting,
  plan: TaskGradientPlan,
  aggregator: Extract<Aggregator, { perTask: true }>,
  inputs: Record<string, tf.Tensor>,
  labels: ReadonlyMap<string, TaskLabels>,
  keepTaskLosses: boolean,
  observe?: (gradients: TaskGradients) => void,
): StepGradients {
  const { terms, taskLosses, byTask } = eachTaskGradients(model, weighting, plan, inputs, labels, new Map(), keepTaskLosses);
  const penalty = plan.penalized ? tf.variableGrads(() => model.penalty(plan.params)!, plan.params.map((p) => p.variable)) : null;

  const { shared } = plan;
  const sharedGradients = sharedRows(plan, byTask);
  observe?.(sharedGradients);
  // A weighting that balances the task gradients (db_mtl) rescales them before they are combined.
  const aggregated = aggregator.aggregate(weighting.balance ? { ...sharedGradients, gradients: weighting.balance(sharedGradients) } : sharedGradients);
  if (aggregated.length !== shared.length || aggregated.some((g, i) => !tf.util.arraysEqual(g.shape, shared[i]!.variable.shape))) {
    throw new Error(
      `the aggregator returned ${aggregated.length} gradients shaped ${aggregated.map((g) => `[${g.shape.join(', ')}]`).join(' ')} ` +
        `for ${shared.length} shared parameters shaped ${shared.map((p) => `[${p.variable.shape.join(', ')}]`).join(' ')}`,
    );
  }
  const aggregatedOf = new Map(shared.map((p, i) => [p, aggregated[i]!]));

  const result: ParamGradient[] = [];
  for (const param of plan.params) {
    const readers = plan.readers.get(param) ?? [];
    let gradient: tf.Tensor | undefined = readers.length === 1 ? byTask.get(readers[0]!)![param.variable.name] : aggregatedOf.get(param);
    const tie = penalty?.grads[param.variable.name];
    if (tie) gradient = gradient ? tf.add(gradient, tie) : tie;
    if (gradient) result.push({ param, gradient });
  }
  const total = sumInOrder(terms);
  return { value: penalty ? tf.add(total, penalty.value) : total, taskLosses, gradients: result };
}

/**
 * Each task's forward pass and gradient of its weighted loss w_k·L_k, under its own tape, with respect to the parameters
 * it depends on. Passes given `seeds` a step's drawn dropout masks reuse them and draw nothing new.
 */
export function eachTaskGradients(
  model: MtlModel,
  weighting: LossWeighting,
  plan: TaskGradientPlan,
  inputs: Record<string, tf.Tensor>,
  labels: ReadonlyMap<string, TaskLabels>,
  seeds: DropoutSeeds,
  keepTaskLosses: boolean,
): { terms: tf.Scalar[]; taskLosses: tf.Scalar[]; byTask: Map<string, tf.NamedTensorMap> } {
  const terms: tf.Scalar[] = [];
  const taskLosses: tf.Scalar[] = [];
  const byTask = new Map<string, tf.NamedTensorMap>();
  for (const task of plan.tasks) {
    const own = plan.own.get(task)!;
    const { value, grads } = tf.variableGrads(() => {
      const head = model.heads.get(task)!;
      const auxiliary: AuxiliaryLosses = new Map();
      const loss = taskLoss(head, model.forward(inputs, [task], true, seeds, undefined, auxiliary).get(task)!, labels.get(task)!);
      // The tape's forward pass frees everything but its result: keep the task loss to read it.
      if (keepTaskLosses) taskLosses.push(tf.keep(loss));
      return weighting.term(task, withAuxiliary(new Map([[task, loss]]), auxiliary).get(task)!);
    }, own.map((p) => p.variable));
    terms.push(value);
    byTask.set(task, grads);
  }
  return { terms, taskLosses, byTask };
}

/** Every task's gradient of each shared parameter (zeros where it has none): what an aggregator gets. */
export function sharedRows(plan: TaskGradientPlan, byTask: ReadonlyMap<string, tf.NamedTensorMap>): TaskGradients {
  const gradients = plan.tasks.map((task) => plan.shared.map((p) => byTask.get(task)![p.variable.name] ?? tf.zerosLike(p.variable)));
  return { tasks: plan.tasks, params: plan.shared, gradients };
}

/**
 * The optimizer option normalize_task_gradients: each task's gradient of the shared parameters divided by its L2 norm
 * over all of them (a zero gradient stays zero), then combined by `aggregator` (`sum`: Σ_t g_t/‖g_t‖). It comes after
 * a weighting's `balance` and is per task even for `sum`.
 */
export function normalizedFirst(aggregator: Aggregator): Extract<Aggregator, { perTask: true }> {
  const combine = aggregator.perTask ? aggregator : sumOfTasks;
  return {
    perTask: true,
    aggregate: (taskGradients) => combine.aggregate({ ...taskGradients, gradients: taskGradients.gradients.map(unitLength) }),
  };
}

function unitLength(row: readonly tf.Tensor[]): tf.Tensor[] {
  if (row.length === 0) return [];
  const norm = tf.sqrt(tf.addN(row.map((g) => tf.sum(tf.square(g)))));
  // 1/‖g‖, and 0 for a zero gradient (whose 1/0 `where` discards)
  const scale = tf.where(tf.greater(norm, 0), tf.div(1, norm), tf.zerosLike(norm));
  return row.map((g) => tf.mul(g, scale));
}

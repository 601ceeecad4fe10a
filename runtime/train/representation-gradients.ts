/**
 * The per-task step on the shared representation (an aggregation `on: representation`; MGDA-UB with `mgda`, Sener &
 * Koltun 2018, section 3.3). Z is the output of the one layer every task reads (model/representation.ts), on the
 * batch's rows. The step
 *   1. runs the shared trunk forward once, to Z, outside any tape;
 *   2. for each task, differentiates its weighted loss w_k·L_k, computed from Z through its own branch (tower, head),
 *      with respect to Z and to the parameters only it depends on: a backward pass through its branch alone;
 *   3. weighs the tasks from the Gram matrix of their gradients of Z, flattened over the rows (`weigh`, the same
 *      weights the aggregator would give gradients of the shared parameters);
 *   4. runs the trunk forward again under a tape, with the first pass's dropout masks, and backward once from
 *      Σ_t w_t ∂(w_t·L_t)/∂Z: the shared parameters' gradient, Jᵀ Σ_t w_t g^Z_t for the trunk's Jacobian J.
 * What only one task depends on gets that task's gradient from step 2, as on the per-task path of the parameters.
 */
import * as tf from '@tensorflow/tfjs';
import type { DropoutSeeds, MtlModel } from '../model/types.js';
import type { LayerRef } from '../model/graph.js';
import type { TaskLabels } from './labels.js';
import { taskLoss } from './loss.js';
import type { ParamGradient } from './optimizer.js';
import { gramMatrix } from './aggregators/gram.js';
import type { TaskWeigher } from './aggregators/aggregator.js';
import type { StepGradients, TaskGradientPlan } from './task-gradients.js';
import { sumInOrder, type LossWeighting } from './weightings/index.js';

export interface RepresentationStep extends StepGradients {
  /** Each task's gradient of its weighted loss with respect to the representation, in task order ([rows, width]). */
  representationGradients: tf.Tensor[];
  /** The task weights `weigh` gave. */
  weights: number[];
}

export function representationGradients(
  model: MtlModel,
  weighting: LossWeighting,
  plan: TaskGradientPlan,
  at: LayerRef,
  weigh: TaskWeigher,
  inputs: Record<string, tf.Tensor>,
  labels: ReadonlyMap<string, TaskLabels>,
  keepTaskLosses: boolean,
): RepresentationStep {
  if (plan.penalized) throw new Error('a penalty ties parameters of tasks aggregated on the shared representation; assertRunnable refuses their sharing');
  const seeds: DropoutSeeds = new Map();
  // Every task reads the representation alike (hard sharing): computing it as the first task sees it serves all.
  const trunkTask = plan.tasks[0]!;
  const z = model.output(inputs, at, trunkTask, true, seeds);

  const terms: tf.Scalar[] = [];
  const taskLosses: tf.Scalar[] = [];
  const ofZ: tf.Tensor[] = [];
  const own = new Map<string, tf.Tensor | null>();
  for (const task of plan.tasks) {
    const branch = plan.own.get(task)!.filter((p) => plan.readers.get(p)!.length === 1);
    const { value, grads } = tf.engine().gradients(() => {
      const logits = model.forward(inputs, [task], true, seeds, { at, value: z }).get(task)!;
      const loss = taskLoss(model.heads.get(task)!, logits, labels.get(task)!);
      // The tape's forward pass frees everything but its result: keep the task loss to read it.
      if (keepTaskLosses) taskLosses.push(tf.keep(loss));
      return weighting.term(task, loss);
    }, [z, ...branch.map((p) => p.variable)], undefined, true);
    terms.push(value);
    ofZ.push(grads[0] ?? tf.zerosLike(z));
    branch.forEach((p, i) => own.set(p.variable.name, grads[i + 1] ?? null));
  }

  const weights = weigh(gramMatrix(ofZ.map((g) => [g])), plan.tasks);
  const toTrunk = tf.addN(ofZ.map((g, t) => tf.mul(g, weights[t]!)));
  const shared = plan.shared;
  const trunk = shared.length === 0 ? [] : tf.engine().gradients(() => model.output(inputs, at, trunkTask, true, seeds), shared.map((p) => p.variable), toTrunk, true).grads;
  const sharedOf = new Map(shared.map((p, i) => [p.variable.name, trunk[i] ?? null]));

  const gradients: ParamGradient[] = [];
  for (const param of plan.params) {
    const gradient = sharedOf.get(param.variable.name) ?? own.get(param.variable.name);
    if (gradient) gradients.push({ param, gradient });
  }
  return { value: sumInOrder(terms), taskLosses, gradients, representationGradients: ofZ, weights };
}

/**
 * Adam and SGD with momentum, keyed by parameter.
 *
 * Not tf.train's optimizers: those keep their moments by the position of a variable in each call's
 * gradient list, so when steps alternate between batch groups that update different heads, the
 * moments of one head are applied to another. They also cannot give a task's head its own learning
 * rate; scaling its gradient instead would be undone by Adam, which is invariant to gradient scale.
 *
 * Adam's update equals tf.train.adam's, lr · m̂ / (√v̂ + ε), rewritten as α_t · m / (√v + ε̂_t)
 * with α_t = lr · √(1-β₂ᵗ) / (1-β₁ᵗ) and ε̂_t = ε · √(1-β₂ᵗ): the same value in five ops instead of seven.
 * Bias correction counts each parameter's own updates. Weight decay is decoupled (AdamW, and the same for SGD):
 * θ ← θ · (1 - lr · λ) before the update.
 *
 * With `clipNorm`, every gradient of the step (after aggregation: shared, task-specific, weighting parameters and the
 * soft-sharing tie alike) is first scaled by min(1, clipNorm / (‖g‖ + 1e-6)), ‖g‖ their global L2 norm, as
 * torch.nn.utils.clip_grad_norm_ does; the scale stays a tensor, so clipping reads nothing back from the backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerPlan } from '../../job/job.js';
import type { Param } from '../model/types.js';
import { field, type Checkpointed, type StateValue } from '../checkpoint/state.js';
import { adamUpdate, fusedAdamPays, type AdamScalars } from '../kernels/fused-adam.js';

export interface ParamGradient {
  param: Param;
  gradient: tf.Tensor;
}

export interface Optimizer {
  /** One update of the given parameters at learning rate `lr` (times each parameter's multiplier). Call inside tf.tidy. */
  apply(gradients: readonly ParamGradient[], lr: number): void;
  /** Its moments and update counts, by parameter name, for checkpoints; `params` are those a restore may find there. */
  checkpoint(params: readonly Param[]): Checkpointed;
  dispose(): void;
}

interface Slot {
  first: tf.Variable;
  second: tf.Variable | null;
  updates: number;
}

export interface OptimizerOptions {
  /** Adam as one pass over each parameter's values (kernels/fused-adam.ts; the same update bit for bit); default: where it pays on the current backend (fusedAdamPays). */
  fused?: boolean;
}

/** @param lrMultiplier per-parameter learning-rate factor (job.training.taskLr for what serves one task alone) */
export function makeOptimizer(plan: OptimizerPlan, lrMultiplier: (param: Param) => number = () => 1, options: OptimizerOptions = {}): Optimizer {
  if (plan.kind === 'adam' && (options.fused ?? fusedAdamPays(tf.getBackend()))) return makeFusedAdam(plan, lrMultiplier);
  const slots = new Map<Param, Slot>();
  // Scalars reused by every step, so steps allocate only what changes.
  const constants = (plan.kind === 'adam' ? [plan.beta1, 1 - plan.beta1, plan.beta2, 1 - plan.beta2] : [plan.momentum]).map((c) =>
    tf.keep(tf.scalar(c)),
  );
  const slotOf = (param: Param): Slot => {
    let slot = slots.get(param);
    if (!slot) {
      const zeros = () => tf.tidy(() => tf.variable(tf.zerosLike(param.variable), false));
      slot = { first: zeros(), second: plan.kind === 'adam' ? zeros() : null, updates: 0 };
      slots.set(param, slot);
    }
    return slot;
  };

  const applyAdam = (gradients: readonly ParamGradient[], lr: number) => {
    if (plan.kind !== 'adam') return;
    const [beta1, oneMinusBeta1, beta2, oneMinusBeta2] = constants as [tf.Scalar, tf.Scalar, tf.Scalar, tf.Scalar];
    // Parameters with the same update count and multiplier share their step-size scalars.
    const scalars = new Map<string, { alpha: tf.Scalar; epsilon: tf.Scalar; decay: tf.Scalar | null }>();
    for (const { param, gradient } of gradients) {
      const slot = slotOf(param);
      slot.updates += 1;
      const multiplier = lrMultiplier(param);
      const key = `${slot.updates}:${multiplier}`;
      let s = scalars.get(key);
      if (!s) {
        const { alpha, epsilon, decay } = adamScalars(plan, slot.updates, lr * multiplier);
        s = { alpha: tf.scalar(alpha), epsilon: tf.scalar(epsilon), decay: decay === null ? null : tf.scalar(decay) };
        scalars.set(key, s);
      }
      const first = tf.add(tf.mul(slot.first, beta1), tf.mul(gradient, oneMinusBeta1));
      const second = tf.add(tf.mul(slot.second!, beta2), tf.mul(tf.square(gradient), oneMinusBeta2));
      slot.first.assign(first);
      slot.second!.assign(second);
      const value = s.decay ? tf.mul(param.variable, s.decay) : param.variable;
      param.variable.assign(tf.sub(value, tf.mul(tf.div(first, tf.add(tf.sqrt(second), s.epsilon)), s.alpha)));
    }
  };

  const applySgd = (gradients: readonly ParamGradient[], lr: number) => {
    if (plan.kind !== 'sgd') return;
    const [momentum] = constants as [tf.Scalar];
    for (const { param, gradient } of gradients) {
      const rate = lr * lrMultiplier(param);
      const decayed = plan.weightDecay > 0 ? tf.mul(param.variable, 1 - rate * plan.weightDecay) : param.variable;
      let direction = gradient;
      if (plan.momentum > 0) {
        // tf.train.momentum's form: v ← μ·v + g; θ ← θ - lr·v.
        const slot = slotOf(param);
        direction = tf.add(tf.mul(slot.first, momentum), gradient);
        slot.first.assign(direction);
      }
      param.variable.assign(tf.sub(decayed, tf.mul(direction, rate)));
    }
  };

  const update = plan.kind === 'adam' ? applyAdam : applySgd;
  const clipNorm = plan.clipNorm;
  return {
    apply: clipNorm === null ? update : (gradients, lr) => update(clippedByGlobalNorm(gradients, clipNorm), lr),
    checkpoint: (params) => ({
      // Copies: a backend may hand out its own buffer.
      save: () => [...slots].map(([param, s]) => ({
        name: param.name,
        updates: s.updates,
        first: (s.first.dataSync() as Float32Array).slice(),
        second: s.second ? (s.second.dataSync() as Float32Array).slice() : null,
      })),
      restore: (saved) => {
        restoreSlots(saved, params, (param, updates, first, second) => {
          const slot = slotOf(param);
          slot.updates = updates;
          tf.tidy(() => slot.first.assign(tf.tensor(first, param.variable.shape)));
          if (second && slot.second) tf.tidy(() => slot.second!.assign(tf.tensor(second, param.variable.shape)));
        });
      },
    }),
    dispose: () => {
      for (const slot of slots.values()) {
        slot.first.dispose();
        slot.second?.dispose();
      }
      slots.clear();
      constants.forEach((c) => c.dispose());
    },
  };
}

/** Each saved slot (name, update count, moments) handed to `restore` with the parameter of that name. */
function restoreSlots(saved: StateValue, params: readonly Param[], restore: (param: Param, updates: number, first: Float32Array, second: Float32Array | null) => void): void {
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const entry of saved as StateValue[]) {
    const param = byName.get(field<string>(entry, 'name'));
    if (!param) throw new Error(`a checkpoint holds optimizer state of '${field<string>(entry, 'name')}', which the model does not have`);
    restore(param, field<number>(entry, 'updates'), field<Float32Array>(entry, 'first'), field<Float32Array | null>(entry, 'second'));
  }
}

/** The Adam step's scalars for a parameter's `t`-th update at learning rate `rate` (lr times its multiplier). */
export function adamScalars(plan: Extract<OptimizerPlan, { kind: 'adam' }>, t: number, rate: number): AdamScalars {
  const correction2 = Math.sqrt(1 - plan.beta2 ** t);
  return {
    beta1: plan.beta1, oneMinusBeta1: 1 - plan.beta1, beta2: plan.beta2, oneMinusBeta2: 1 - plan.beta2,
    alpha: (rate * correction2) / (1 - plan.beta1 ** t),
    epsilon: plan.epsilon * correction2,
    decay: plan.weightDecay > 0 ? 1 - rate * plan.weightDecay : null,
  };
}

/**
 * Adam with its moments in plain float32 arrays, updated with the parameter in one pass (kernels/fused-adam.ts): per
 * parameter one read of the gradient and the values and one upload of the new values, where the unfused form runs a
 * dozen kernels. Checkpoints hold the same state as the unfused optimizer's, so either resumes the other's.
 */
function makeFusedAdam(plan: Extract<OptimizerPlan, { kind: 'adam' }>, lrMultiplier: (param: Param) => number): Optimizer {
  const slots = new Map<Param, { first: Float32Array; second: Float32Array; updates: number }>();
  const slotOf = (param: Param) => {
    let slot = slots.get(param);
    if (!slot) {
      const size = param.variable.size;
      slot = { first: new Float32Array(size), second: new Float32Array(size), updates: 0 };
      slots.set(param, slot);
    }
    return slot;
  };
  const apply = (gradients: readonly ParamGradient[], lr: number) => {
    for (const { param, gradient } of gradients) {
      const slot = slotOf(param);
      slot.updates += 1;
      const values = new Float32Array(param.variable.size);
      adamUpdate(param.variable.dataSync() as Float32Array, gradient.dataSync() as Float32Array, slot.first, slot.second, adamScalars(plan, slot.updates, lr * lrMultiplier(param)), values);
      param.variable.assign(tf.tensor(values, param.variable.shape));
    }
  };
  const clipNorm = plan.clipNorm;
  return {
    apply: clipNorm === null ? apply : (gradients, lr) => apply(clippedByGlobalNorm(gradients, clipNorm), lr),
    checkpoint: (params) => ({
      save: () => [...slots].map(([param, s]) => ({ name: param.name, updates: s.updates, first: s.first.slice(), second: s.second.slice() })),
      restore: (saved) => {
        restoreSlots(saved, params, (param, updates, first, second) => {
          const slot = slotOf(param);
          slot.updates = updates;
          slot.first.set(first);
          if (second) slot.second.set(second);
        });
      },
    }),
    dispose: () => slots.clear(),
  };
}

/** torch's clip_grad_norm_: the gradients scaled by min(1, clip / (‖g‖ + 1e-6)), ‖g‖ the L2 norm of all of them at once. */
export function clippedByGlobalNorm(gradients: readonly ParamGradient[], clip: number): ParamGradient[] {
  if (gradients.length === 0) return [];
  const norm = tf.sqrt(tf.addN(gradients.map(({ gradient }) => tf.sum(tf.square(gradient)))));
  const scale = tf.minimum(1, tf.div(clip, tf.add(norm, 1e-6)));
  return gradients.map(({ param, gradient }) => ({ param, gradient: tf.mul(gradient, scale) }));
}

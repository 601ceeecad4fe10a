/**
 * The learning rate at a step (0-based) of a run of `totalSteps` steps.
 *   constant  lr
 *   step      lr · γ^⌊step / every⌋
 *   cosine    linear warmup from lr/warmup to lr over `warmup` steps, then a half cosine down to `min` at the last step
 *   linear    the same warmup, then a straight line down (or up) to `end` at the last step
 */
import type { SchedulePlan } from '../../job/job.js';

export function learningRate(plan: SchedulePlan, step: number, totalSteps: number): number {
  switch (plan.kind) {
    case 'constant':
      return plan.lr;
    case 'step':
      return plan.lr * plan.gamma ** Math.floor(step / Math.max(1, plan.every));
    case 'cosine':
    case 'linear': {
      const { warmup } = plan;
      if (step < warmup) return (plan.lr * (step + 1)) / warmup;
      const span = Math.max(1, totalSteps - 1 - warmup);
      const progress = Math.min(1, Math.max(0, (step - warmup) / span));
      if (plan.kind === 'linear') return plan.lr + (plan.end - plan.lr) * progress;
      return plan.min + (plan.lr - plan.min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  }
}

/**
 * When training has diverged, checked after every step. A step diverged when its total loss or a task's loss is not
 * finite, or when a task's loss has exploded: above EXPLOSION_FACTOR times its loss at the first step that trained it.
 * That first loss is the untrained model's (it is computed before any update), the level training should only ever
 * fall from; every loss mtl computes (cross-entropy, squared or absolute error, Huber) is non-negative, and a
 * thousandfold rise above where an untrained model starts is not noise but weights growing without bound (census with
 * `adam(lr: 1000000)` goes from 0.69 to 1e20 within an epoch, and without this check ends with exit 0).
 */
import type { Checkpointed } from '../checkpoint/state.js';

export const EXPLOSION_FACTOR = 1000;

export class DivergenceWatch {
  private readonly first = new Map<string, number>();

  /** Why the step diverged, naming the task; null when it did not. */
  check(total: number, taskLosses: Readonly<Record<string, number>>): string | null {
    for (const [task, loss] of Object.entries(taskLosses)) {
      if (!Number.isFinite(loss)) return `task \`${task}\`'s loss is ${loss}`;
      const first = this.first.get(task);
      if (first === undefined) this.first.set(task, loss);
      else if (first > 0 && loss > EXPLOSION_FACTOR * first) {
        return `task \`${task}\`'s loss is ${loss.toPrecision(3)}, over ${EXPLOSION_FACTOR} times its loss at its first step (${first.toPrecision(3)})`;
      }
    }
    return Number.isFinite(total) ? null : `the total loss is ${total}`;
  }

  readonly state: Checkpointed = {
    save: () => Object.fromEntries(this.first),
    restore: (saved) => {
      this.first.clear();
      for (const [task, loss] of Object.entries(saved as Record<string, number>)) this.first.set(task, loss);
    },
  };
}

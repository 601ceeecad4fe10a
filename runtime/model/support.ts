/**
 * What the runtime can run today: MLP modules (dense and flatten layers, MMoE mixtures) under every sharing
 * scheme (hard, cross-stitch, soft, adapters, mmoe). The compiler accepts more (convolutions, sequences);
 * a job that uses them fails here, at build time, before any data is read.
 */
import type { Job, LossKind, HeadKind } from '../../job/job.js';
import { UserError } from '../errors.js';

const RUNNABLE_LAYERS = new Set(['dense', 'flatten', 'mixture']);
const RUNNABLE_HEADS = new Set<HeadKind>(['binary', 'multiclass', 'multilabel', 'regression']);
const LOSSES_BY_HEAD: Record<string, readonly LossKind[]> = {
  binary: ['bce'],
  multilabel: ['bce'],
  multiclass: ['ce'],
  regression: ['mse', 'mae', 'huber'],
};

export function assertRunnable(job: Job): void {
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      if (!RUNNABLE_LAYERS.has(layer.kind)) {
        throw new UserError(
          `module '${module.id}' layer ${index} is ${/^[aeiou]/.test(layer.kind) ? 'an' : 'a'} ${layer.kind} layer, which the runtime does not run yet ` +
            `(the compiler accepts it); only dense, flatten and mixture layers train today`,
        );
      }
    });
  }
  for (const input of job.inputs) {
    const readsInput = (ref: { input: string } | { module: string }) => 'input' in ref && ref.input === input.id;
    const read = job.modules.some((m) => m.from.some(readsInput)) || job.tasks.some((t) => readsInput(t.from));
    if (read && input.kind === 'sequence') {
      throw new UserError(
        `input '${input.id}' is a token sequence, which the runtime does not run yet (the compiler accepts it)`,
      );
    }
  }
  for (const task of job.tasks) {
    if (!RUNNABLE_HEADS.has(task.head.kind)) {
      throw new UserError(
        `task '${task.name}' has a ${task.head.kind} head, which the runtime does not run yet (the compiler accepts it)`,
      );
    }
    const losses = LOSSES_BY_HEAD[task.head.kind] ?? [];
    if (!losses.includes(task.loss)) {
      throw new UserError(
        `task '${task.name}' pairs a ${task.head.kind} head with ${task.loss} loss, which the runtime does not run; ` +
          `it runs ${losses.join(', ')} for ${task.head.kind} heads`,
      );
    }
  }
}

/**
 * What the runtime can run today, decided from its tables only: a layer, head, sharing scheme, weighting or aggregation
 * runs when its table entry is an implementation rather than `notRunnable`. The compiler accepts more (convolutions,
 * sequences, gradient surgery); a job that uses them fails here, before any data is read. The model's part and the
 * inputs' encoding are checked here; the training plan's (weightings, aggregations) in train/support.ts, so a model
 * can be built and served without the training code.
 */
import type { InputPlan, Job, TransformKind } from '../../job/job.js';
import { UserError } from '../errors.js';
import { listOf, runnableKinds } from '../not-runnable.js';
import { headKinds } from './heads/index.js';
import { layerKinds } from './layers/index.js';
import { sharingSchemes } from './schemes/index.js';
import type { ModelJob } from './model-job.js';

/** Input kinds the layers can read (every kind today; a new kind says here whether it runs). */
const inputKinds: Record<InputPlan['kind'], { runnable: true } | { runnable: false; what: string }> = {
  vector: { runnable: true },
  image: { runnable: true },
  sequence: { runnable: true },
};

/** Feature transforms the loader can feed to a model input; an embedding needs a lookup layer, which does not run yet. */
const transformKinds = {
  standardize: { runnable: true },
  normalize: { runnable: true },
  raw: { runnable: true },
  onehot: { runnable: true },
  tokens: { runnable: true },
  image: { runnable: true },
  embedding: { runnable: false, what: 'a learned embedding' },
} satisfies Record<TransformKind, { runnable: true } | { runnable: false; what: string }>;

/** Refuses a model with a layer, sharing scheme, input kind or head the runtime does not run. */
export function assertModelRunnable(job: ModelJob): void {
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      if (!layerKinds[layer.kind].runnable) {
        throw new UserError(
          `module '${module.id}' layer ${index} is ${/^[aeiou]/.test(layer.kind) ? 'an' : 'a'} ${layer.kind} layer, which the runtime does not run yet ` +
            `(the compiler accepts it); only ${listOf(runnableKinds(layerKinds), 'and')} layers train today`,
        );
      }
    });
    if (!sharingSchemes[module.sharing.kind].runnable) {
      throw new UserError(`module '${module.id}' uses ${module.sharing.kind} sharing, which the runtime does not run yet (the compiler accepts it)`);
    }
  }
  for (const input of readInputs(job)) {
    const kind = inputKinds[input.kind];
    if (!kind.runnable) throw new UserError(`input '${input.id}' is ${kind.what}, which the runtime does not run yet (the compiler accepts it)`);
  }
  for (const task of job.tasks) {
    const head = headKinds[task.head.kind];
    if (!head.runnable) {
      throw new UserError(`task '${task.name}' has a ${task.head.kind} head, which the runtime does not run yet (the compiler accepts it)`);
    }
    if (!head.losses.includes(task.loss)) {
      throw new UserError(
        `task '${task.name}' pairs a ${task.head.kind} head with ${task.loss} loss, which the runtime does not run; ` +
          `it runs ${head.losses.join(', ')} for ${task.head.kind} heads`,
      );
    }
  }
}

/** Refuses an input read by the model whose features the loader cannot encode for it. */
export function assertInputsEncodable(job: ModelJob & Pick<Job, 'features'>): void {
  for (const input of readInputs(job)) {
    for (const id of input.features) {
      const transform = job.features.find((f) => f.id === id)?.transform.kind;
      const entry = transform ? transformKinds[transform] : null;
      if (entry && !entry.runnable) {
        throw new UserError(`input '${input.id}' reads feature '${id}', ${entry.what}, which the runtime does not run yet (the compiler accepts it)`);
      }
    }
  }
}

/** The inputs a module or a head reads. */
function readInputs(job: ModelJob): InputPlan[] {
  return job.inputs.filter((input) => {
    const readsInput = (ref: { input: string } | { module: string }) => 'input' in ref && ref.input === input.id;
    return job.modules.some((m) => m.from.some(readsInput)) || job.tasks.some((t) => readsInput(t.from));
  });
}

/**
 * What the runtime can run today, decided from its tables only: a layer, head, sharing scheme, weighting or aggregation
 * runs when its table entry is an implementation rather than `notRunnable`. The compiler accepts more (convolutions,
 * sequences, gradient surgery); a job that uses them fails here, before any data is read.
 */
import { onRepresentation, type InputPlan, type Job, type TransformKind } from '../../job/job.js';
import { UserError } from '../errors.js';
import { listOf, runnableKinds } from '../not-runnable.js';
import { aggregators } from '../train/aggregators/index.js';
import { weightings } from '../train/weightings/index.js';
import { headKinds } from './heads/index.js';
import { layerKinds } from './layers/index.js';
import { sharingSchemes } from './schemes/index.js';
import { moduleGraph } from './graph.js';
import { sharedRepresentation } from './representation.js';

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

export function assertRunnable(job: Job): void {
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
  for (const input of job.inputs) {
    const readsInput = (ref: { input: string } | { module: string }) => 'input' in ref && ref.input === input.id;
    const read = job.modules.some((m) => m.from.some(readsInput)) || job.tasks.some((t) => readsInput(t.from));
    const kind = inputKinds[input.kind];
    if (read && !kind.runnable) {
      throw new UserError(`input '${input.id}' is ${kind.what}, which the runtime does not run yet (the compiler accepts it)`);
    }
    for (const id of read ? input.features : []) {
      const transform = job.features.find((f) => f.id === id)?.transform.kind;
      const entry = transform ? transformKinds[transform] : null;
      if (entry && !entry.runnable) {
        throw new UserError(`input '${input.id}' reads feature '${id}', ${entry.what}, which the runtime does not run yet (the compiler accepts it)`);
      }
    }
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
  const { weighting, aggregation } = job.training;
  if (!aggregators[aggregation.kind].runnable) {
    throw new UserError(
      `training aggregates task gradients with ${aggregation.kind}, which the runtime does not run yet (the compiler accepts it); ` +
        `use ${listOf(runnableKinds(aggregators), 'or')}`,
    );
  }
  if (!weightings[weighting.kind].runnable) {
    throw new UserError(
      `training weights tasks with ${weighting.kind}, which the runtime does not run yet (the compiler accepts it); ` +
        `use ${listOf(runnableKinds(weightings), 'or')}`,
    );
  }
  if (onRepresentation(aggregation)) {
    // Each batch group's tasks train together: each group needs one representation they all read.
    const graph = moduleGraph(job);
    for (const group of job.batchGroups.filter((g) => g.tasks.length >= 2)) {
      const found = sharedRepresentation(graph, group.tasks);
      if ('why' in found) {
        throw new UserError(`training aggregates ${aggregation.kind} on the shared representation, but ${found.why}; aggregate on the parameters instead`);
      }
    }
  }
}

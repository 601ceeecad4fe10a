/**
 * What the runtime can train today: the model's part (model/support.ts) and the training plan's, decided from the
 * tables only. A job that uses a weighting or aggregation the runtime lacks fails here, before any data is read.
 */
import { onRepresentation, type Job } from '../../job/job.js';
import { UserError } from '../errors.js';
import { moduleGraph } from '../model/graph.js';
import { sharedRepresentation } from '../model/representation.js';
import { assertInputsEncodable, assertModelRunnable } from '../model/support.js';
import { listOf, runnableKinds } from '../not-runnable.js';
import { aggregators } from './aggregators/index.js';
import { weightings } from './weightings/index.js';

export function assertRunnable(job: Job): void {
  assertModelRunnable(job);
  assertInputsEncodable(job);
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

import { nodesOfKind, PLAN_NODE } from '../graph.js';
import type { Pass } from '../pass.js';
import { weightings } from '../../../stdlib/index.js';

/** Removes heads of tasks that can never train: weight 0 under a weighting that scales by it (static), probability 0 under explicit sampling, or in no stage. */
export const eliminateDeadTasks: Pass = {
  name: 'eliminate-dead-tasks',
  doc: 'drops heads of tasks that never receive a gradient; what fed only them goes in the next pass',
  run(graph) {
    const plan = graph.node(PLAN_NODE);
    if (plan?.kind !== 'plan') return graph;
    const { training } = plan;
    const staged = new Set(training.stages.flatMap((s) => s.tasks));
    for (const [id, head] of nodesOfKind(graph, 'head')) {
      const zeroWeight = weightings[training.weighting.kind].scalesByWeight && head.weight === 0;
      const neverSampled = training.sampling.kind === 'explicit' && training.sampling.probs[head.task] === 0;
      const inNoStage = !staged.has(head.task);
      if (zeroWeight || neverSampled || inNoStage) graph.removeNode(id);
    }
    return graph;
  },
};

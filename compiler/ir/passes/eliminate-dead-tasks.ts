import { nodesOfKind, PLAN_NODE } from '../graph.js';
import type { Pass } from '../pass.js';
import { weightings } from '../../../stdlib/index.js';

/**
 * Removes heads of tasks that can never train: weight 0 under a weighting that scales by it (static), probability 0 under
 * explicit sampling, or in no stage; unless a head that stays reads their prediction, which trains them.
 */
export const eliminateDeadTasks: Pass = {
  name: 'eliminate-dead-tasks',
  doc: 'drops heads of tasks that never receive a gradient; what fed only them goes in the next pass',
  run(graph) {
    const plan = graph.node(PLAN_NODE);
    if (plan?.kind !== 'plan') return graph;
    const { training } = plan;
    const staged = new Set(training.stages.flatMap((s) => s.tasks));
    const dead = new Set<string>();
    for (const [id, head] of nodesOfKind(graph, 'head')) {
      const zeroWeight = weightings[training.weighting.kind].scalesByWeight && head.weight === 0;
      const neverSampled = training.sampling.kind === 'explicit' && training.sampling.probs[head.task] === 0;
      const inNoStage = !staged.has(head.task);
      if (zeroWeight || neverSampled || inNoStage) dead.add(id);
    }
    // A head a live head reads (`reads`, `product`) trains through that head's loss: it stays, and so do the heads it reads.
    const stack = nodesOfKind(graph, 'head').map(([id]) => id).filter((id) => !dead.has(id));
    while (stack.length > 0) {
      for (const pred of graph.predecessors(stack.pop()!) ?? []) {
        if (dead.delete(pred)) stack.push(pred);
      }
    }
    for (const id of dead) graph.removeNode(id);
    return graph;
  },
};

import { nodesOfKind, PLAN_NODE } from '../graph.js';
import type { Pass } from '../pass.js';

/**
 * Removes every node with no path to the training plan: transforms, inputs, layers and datasets no live task reads;
 * and drops removed tasks from the `tasks` of the layers that stay.
 */
export const eliminateDeadNodes: Pass = {
  name: 'eliminate-dead-nodes',
  doc: 'a node that reaches no loss computes nothing anyone reads, so the runtime never loads or runs it',
  run(graph) {
    if (!graph.hasNode(PLAN_NODE)) return graph;
    const live = new Set<string>([PLAN_NODE]);
    const stack = [PLAN_NODE];
    while (stack.length) {
      const id = stack.pop()!;
      for (const pred of graph.predecessors(id) ?? []) {
        if (!live.has(pred)) {
          live.add(pred);
          stack.push(pred);
        }
      }
    }
    for (const id of graph.nodes()) if (!live.has(id)) graph.removeNode(id);
    // A layer's tasks are the live tasks that read it: a shared layer outlives the heads removed before this pass.
    const liveTasks = new Set(nodesOfKind(graph, 'head').map(([, head]) => head.task));
    for (const [, layer] of nodesOfKind(graph, 'layer')) {
      if (layer.tasks.some((t) => !liveTasks.has(t))) layer.tasks = layer.tasks.filter((t) => liveTasks.has(t));
    }
    return graph;
  },
};

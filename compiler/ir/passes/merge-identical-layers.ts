import { layerKey, orderedPredecessors, topologicalOrder, type IrGraph, type IrNode } from '../graph.js';
import type { Pass } from '../pass.js';
import { mergeNode } from './rename.js';

/** Layers are compared after the layers they read (the rest of the graph plays no part in merging layers). */
const layerKind = new Set<IrNode['kind']>(['layer']);

/**
 * Common-subexpression elimination on layers: two layer nodes with the same parameters and the same inputs compute
 * the same value. Walking in topological order merges whole identical prefixes, so tasks of one share (at any depth)
 * read a single backbone pass.
 *
 * The builder applies the same rule on the fly, as it adds each layer (as LuaJIT's IR emitter does its CSE), so a
 * program of a thousand tasks never holds a copy of its shared layers per task: on a freshly built graph this pass
 * finds nothing more. It is the rule for whole graphs, whoever made them: run after any rewrite, it leaves no
 * computation duplicated, and it is what the tests of sharing at depth check against hand-built graphs.
 */
export const mergeIdenticalLayers: Pass = {
  name: 'merge-identical-layers',
  doc: 'same parameters applied to the same input give the same output: compute shared backbone prefixes once',
  run(graph) {
    // First decide which node each duplicate merges into (inputs compared after their own merging), then move only
    // the edges that leave the duplicates for nodes that stay: graph edits are the expensive part in graphlib.
    const keptFor = new Map<string, string>();
    const byKey = new Map<string, string>();
    const tasksOf = new Map<string, Set<string>>();
    for (const id of topologicalOrder(graph, layerKind)) {
      const node = graph.node(id);
      if (node.kind !== 'layer') continue;
      const key = layerKey(node.params, orderedPredecessors(graph, id).map((p) => keptFor.get(p) ?? p));
      const kept = byKey.get(key);
      if (kept === undefined) {
        byKey.set(key, id);
        continue;
      }
      keptFor.set(id, kept);
      let tasks = tasksOf.get(kept);
      if (!tasks) {
        const keptNode = graph.node(kept);
        tasks = new Set(keptNode.kind === 'layer' ? keptNode.tasks : []);
        tasksOf.set(kept, tasks);
      }
      for (const task of node.tasks) tasks.add(task);
    }
    for (const [duplicate, kept] of keptFor) {
      for (const next of graph.successors(duplicate) ?? []) {
        if (!keptFor.has(next) && !graph.hasEdge(kept, next)) graph.setEdge(kept, next, graph.edge(duplicate, next));
      }
      graph.removeNode(duplicate);
    }
    for (const [id, tasks] of tasksOf) {
      const kept = graph.node(id);
      if (kept.kind === 'layer') kept.tasks = [...tasks].sort();
    }
    return readableLayerIds(graph);
  },
};

/** After merging, a layer whose parameters appear in one node only is named `layer:<params>`. */
function readableLayerIds(graph: IrGraph): IrGraph {
  const count = new Map<string, number>();
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    if (node.kind === 'layer') count.set(node.params, (count.get(node.params) ?? 0) + 1);
  }
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    if (node.kind === 'layer' && count.get(node.params) === 1 && id !== `layer:${node.params}`) mergeNode(graph, id, `layer:${node.params}`);
  }
  return graph;
}

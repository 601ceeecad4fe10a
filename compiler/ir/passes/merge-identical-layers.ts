import * as graphlib from '@dagrejs/graphlib';
import { cloneGraph, orderedPredecessors, type IrGraph } from '../graph.js';
import type { Pass } from '../pass.js';
import { mergeNode } from './rename.js';

/**
 * Common-subexpression elimination on layers: two layer nodes with the same parameters and the same inputs compute
 * the same value. Walking in topological order merges whole identical prefixes, so tasks of one share (at any depth)
 * read a single backbone pass.
 */
export const mergeIdenticalLayers: Pass = {
  name: 'merge-identical-layers',
  doc: 'same parameters applied to the same input give the same output: compute shared backbone prefixes once',
  run(input) {
    const graph = cloneGraph(input);
    const byKey = new Map<string, string>();
    for (const id of graphlib.alg.topsort(graph as unknown as graphlib.Graph)) {
      if (!graph.hasNode(id)) continue;
      const node = graph.node(id);
      if (node.kind !== 'layer') continue;
      const key = `${node.params}|${orderedPredecessors(graph, id).join(',')}`;
      const existing = byKey.get(key);
      if (existing) {
        const kept = graph.node(existing);
        if (kept.kind === 'layer') kept.tasks = [...new Set([...kept.tasks, ...node.tasks])].sort();
        mergeNode(graph, id, existing);
      } else byKey.set(key, id);
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

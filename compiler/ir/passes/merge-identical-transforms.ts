import { nodesOfKind } from '../graph.js';
import type { Pass } from '../pass.js';
import { mergeNode, renameFeatureRefs } from './rename.js';
import { compareText } from '../../../shared/compare.js';

/**
 * Merges transforms of the same column of the same dataset with the same settings (across feature sets) into one
 * node with a readable id, `transform:<dataset>.<column>.<kind>`, so statistics and vocabularies are computed once.
 */
export const mergeIdenticalTransforms: Pass = {
  name: 'merge-identical-transforms',
  doc: 'identical transforms compute identical features: fit and encode them once',
  run(graph) {
    const groups = new Map<string, string[]>();
    for (const [id, t] of nodesOfKind(graph, 'transform')) {
      const key = JSON.stringify([t.dataset, t.column, t.transform]);
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    // Readable ids; a second group with the same dataset/column/kind (different settings) gets a suffix.
    const taken = new Map<string, number>();
    const renames = new Map<string, string>();
    for (const [key, ids] of [...groups.entries()].sort(([a], [b]) => compareText(a, b))) {
      const [dataset, column, transform] = JSON.parse(key) as [string, string, { kind: string }];
      const base = `transform:${dataset}.${column}.${transform.kind}`;
      const n = (taken.get(base) ?? 0) + 1;
      taken.set(base, n);
      const canonical = n === 1 ? base : `${base}.${n}`;
      for (const id of ids.sort()) renames.set(id, canonical);
    }
    // Move edges onto the canonical nodes; several transforms of one input keep their order labels.
    for (const [id, canonical] of renames) mergeNode(graph, id, canonical);
    const rename = (ref: string) => renames.get(ref) ?? ref;
    for (const id of graph.nodes()) {
      const node = graph.node(id);
      const renamed = renameFeatureRefs(node, rename);
      if (renamed !== node) graph.setNode(id, renamed);
    }
    return graph;
  },
};

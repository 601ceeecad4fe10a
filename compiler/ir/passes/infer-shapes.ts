import { orderedPredecessors, topologicalOrder, type IrNode } from '../graph.js';
import type { Pass } from '../pass.js';
import type { Width } from '../../../job/job.js';
import { layerShape } from '../../../stdlib/index.js';

/** Sums widths, folding the known numbers: `{ sum: [7, {vocab: a}] }`, or a plain number when all are known. */
export function sumWidths(widths: Width[]): Width {
  const flat: Width[] = [];
  let known = 0;
  for (const w of widths) {
    if (typeof w === 'number') known += w;
    else if ('sum' in w) {
      const inner = sumWidths(w.sum);
      if (typeof inner === 'number') known += inner;
      else flat.push(...('sum' in inner ? inner.sum : [inner]));
    } else flat.push(w);
  }
  if (flat.length === 0) return known;
  return { sum: known ? [known, ...flat] : flat };
}

/** Transforms get their shapes when the graph is built; inputs and layers derive theirs from what they read. */
const shaped = new Set<IrNode['kind']>(['input', 'layer']);

/**
 * Computes the per-row output shape of every input and layer, in topological order (widths may stay symbolic). A
 * layer's shape comes from its kind's entry in `layerKinds` (stdlib/backbones.ts).
 */
export const inferShapes: Pass = {
  name: 'infer-shapes',
  doc: 'every input and layer gets its per-row output shape, so the runtime allocates without re-deriving anything',
  run(graph) {
    const shapeOf = (id: string): Width[] => {
      const node: IrNode = graph.node(id);
      return node.kind === 'transform' || node.kind === 'input' || node.kind === 'layer' ? node.shape ?? [] : [];
    };
    for (const id of topologicalOrder(graph, shaped)) {
      const node = graph.node(id);
      if (node.kind === 'input') {
        const parts = orderedPredecessors(graph, id).filter((p) => graph.node(p).kind === 'transform').map(shapeOf);
        node.shape = node.valueKind === 'vector' ? [sumWidths(parts.map((s) => s[0] ?? 0))] : parts[0] ?? [];
      } else if (node.kind === 'layer') {
        const preds = orderedPredecessors(graph, id);
        const from = node.layer.kind === 'mixture' ? shapeOf(preds[0]!) : shapeOf(preds[0] ?? '');
        node.shape = layerShape(node.layer, from);
      }
    }
    return graph;
  },
};

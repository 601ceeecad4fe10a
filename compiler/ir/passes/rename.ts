import type { IrGraph, IrNode } from '../graph.js';
import type { Width, LayerPlan, HeadPlan } from '../../../job/job.js';

/** Replaces node `from` by `into` (creating `into` with `from`'s label if absent), moving every edge. */
export function mergeNode(graph: IrGraph, from: string, into: string): void {
  if (from === into) return;
  if (!graph.hasNode(into)) graph.setNode(into, graph.node(from));
  for (const e of graph.inEdges(from) ?? []) if (e.v !== into && !graph.hasEdge(e.v, into)) graph.setEdge(e.v, into, graph.edge(e));
  for (const e of graph.outEdges(from) ?? []) if (e.w !== into && !graph.hasEdge(into, e.w)) graph.setEdge(into, e.w, graph.edge(e));
  graph.removeNode(from);
}

/** How a feature reference (`{ vocab: id }`) is renamed; returning the id unchanged leaves it alone. */
export type RenameRef = (id: string) => string;

/** A width with its references renamed; the width itself when nothing changes. */
export function renameWidth(width: Width, rename: RenameRef): Width {
  if (typeof width === 'number' || 'classes' in width) return width;
  if ('vocab' in width) {
    const renamed = rename(width.vocab);
    return renamed === width.vocab ? width : { vocab: renamed };
  }
  if ('suffixes' in width) {
    const renamed = rename(width.suffixes);
    return renamed === width.suffixes ? width : { suffixes: renamed };
  }
  const sum = renameWidths(width.sum, rename);
  return sum === width.sum ? width : { sum };
}

function renameWidths(widths: Width[], rename: RenameRef): Width[] {
  let out: Width[] | null = null;
  for (let i = 0; i < widths.length; i++) {
    const renamed = renameWidth(widths[i]!, rename);
    if (renamed !== widths[i]) (out ??= [...widths])[i] = renamed;
  }
  return out ?? widths;
}

const renameShape = (shape: Width[] | null, rename: RenameRef) => (shape ? renameWidths(shape, rename) : shape);

/** A symbolic width among a layer's fields (numbers name nothing; `experts`, `gate` are module ids, not widths). */
const isSymbolicWidth = (value: unknown): value is Width =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && ('vocab' in value || 'suffixes' in value || 'classes' in value || 'sum' in value);

/**
 * A layer with the references in its width-valued fields renamed (an embedding's `vocab`), whatever its kind, and in
 * an embedding's `subwords.suffixVocab`.
 */
function renameLayer(layer: LayerPlan, rename: RenameRef): LayerPlan {
  let out: Record<string, unknown> | null = null;
  for (const [field, value] of Object.entries(layer)) {
    if (!isSymbolicWidth(value)) continue;
    const renamed = renameWidth(value, rename);
    if (renamed !== value) (out ??= { ...layer })[field] = renamed;
  }
  if (layer.kind === 'embedding' && layer.subwords) {
    const suffixVocab = renameWidth(layer.subwords.suffixVocab, rename);
    if (suffixVocab !== layer.subwords.suffixVocab) (out ??= { ...layer }).subwords = { ...layer.subwords, suffixVocab };
  }
  return (out as LayerPlan | null) ?? layer;
}

function renameHead(head: HeadPlan, rename: RenameRef): HeadPlan {
  const units = renameWidth(head.units, rename);
  return units === head.units ? head : { ...head, units };
}

/**
 * A node with the references in its widths renamed: shapes, a layer's width-valued fields (an embedding's
 * vocabulary), a head's units are the only places a node names a feature. Copies only what changes, and returns the node itself when nothing does (most
 * nodes of a large graph name no feature).
 */
export function renameFeatureRefs(node: IrNode, rename: RenameRef): IrNode {
  switch (node.kind) {
    case 'transform': case 'input': {
      const shape = renameShape(node.shape, rename);
      return shape === node.shape ? node : { ...node, shape };
    }
    case 'layer': {
      const shape = renameShape(node.shape, rename);
      const layer = renameLayer(node.layer, rename);
      return shape === node.shape && layer === node.layer ? node : { ...node, shape, layer };
    }
    case 'head': {
      const head = renameHead(node.head, rename);
      return head === node.head ? node : { ...node, head };
    }
    default:
      return node;
  }
}

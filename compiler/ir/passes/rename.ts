import type { IrGraph } from '../graph.js';

/** Replaces node `from` by `into` (creating `into` with `from`'s label if absent), moving every edge. */
export function mergeNode(graph: IrGraph, from: string, into: string): void {
  if (from === into) return;
  if (!graph.hasNode(into)) graph.setNode(into, graph.node(from));
  for (const e of graph.inEdges(from) ?? []) if (e.v !== into && !graph.hasEdge(e.v, into)) graph.setEdge(e.v, into, graph.edge(e));
  for (const e of graph.outEdges(from) ?? []) if (e.w !== into && !graph.hasEdge(into, e.w)) graph.setEdge(into, e.w, graph.edge(e));
  graph.removeNode(from);
}

/** Rewrites `{ vocab: old }` references (feature ids inside widths) after transforms were renamed. */
export function renameVocabRefs<T>(value: T, renames: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) return value.map((v) => renameVocabRefs(v, renames)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'vocab' && typeof v === 'string' ? renames.get(v) ?? v : renameVocabRefs(v, renames);
    return out as T;
  }
  return value;
}

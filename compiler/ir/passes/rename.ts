import type { IrGraph } from '../graph.js';

/** Replaces node `from` by `into` (creating `into` with `from`'s label if absent), moving every edge. */
export function mergeNode(graph: IrGraph, from: string, into: string): void {
  if (from === into) return;
  if (!graph.hasNode(into)) graph.setNode(into, graph.node(from));
  for (const e of graph.inEdges(from) ?? []) if (e.v !== into && !graph.hasEdge(e.v, into)) graph.setEdge(e.v, into, graph.edge(e));
  for (const e of graph.outEdges(from) ?? []) if (e.w !== into && !graph.hasEdge(into, e.w)) graph.setEdge(into, e.w, graph.edge(e));
  graph.removeNode(from);
}

/**
 * Rewrites `{ vocab: old }` references (feature ids inside widths) after transforms were renamed. Copies only what
 * changes and returns `value` itself when nothing does: most nodes hold no vocabulary reference, and copying every
 * node of a large graph made this the busiest allocation site of compiling.
 */
export function renameVocabRefs<T>(value: T, renames: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const renamed = renameVocabRefs(value[i], renames);
      if (renamed !== value[i]) (out ??= [...value])[i] = renamed;
    }
    return (out ?? value) as T;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | null = null;
    for (const k in record) {
      const v = record[k];
      const renamed = k === 'vocab' && typeof v === 'string' ? renames.get(v) ?? v : renameVocabRefs(v, renames);
      if (renamed !== v) (out ??= { ...record })[k] = renamed;
    }
    return (out ?? value) as T;
  }
  return value;
}

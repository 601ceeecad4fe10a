/**
 * What a layer's output depends on: what it reads (for any task) and what a sharing scheme adds (a stitched layer
 * depends on the other columns' same layer). Gradients follow these edges, and so do the outputs that differ per task.
 */
import type { LayerRef, ModelGraph } from './graph.js';
import { refKey, type SourceRef } from './refs.js';

export interface Reach {
  /** The modules whose parameters the output of `ref` depends on. */
  modulesUnder(ref: SourceRef): ReadonlySet<string>;
  /** Whose view of `ref` the forward pass computes: `task` when a module under `ref` has outputs of its own for it (adapters), else the shared one (''). */
  viewOf(ref: SourceRef, task: string): string;
}

export function reach(
  graph: ModelGraph,
  extraInputs: (ref: LayerRef) => readonly SourceRef[],
  ownViews: (module: string) => ReadonlySet<string> | undefined,
): Reach {
  const dependsOn = (ref: LayerRef): SourceRef[] => [...graph.readsAny(ref), ...extraInputs(ref)];
  const cache = new Map<string, ReadonlySet<string>>();
  const modulesUnder = (ref: SourceRef): ReadonlySet<string> => {
    const cached = cache.get(refKey(ref));
    if (cached) return cached;
    const found = new Set<string>();
    const seen = new Set<string>();
    const stack = [ref];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next.kind === 'input' || seen.has(refKey(next))) continue;
      seen.add(refKey(next));
      found.add(next.module);
      stack.push(...dependsOn(next));
    }
    cache.set(refKey(ref), found);
    return found;
  };
  const viewing = graph.job.modules.filter((m) => (ownViews(m.id)?.size ?? 0) > 0).map((m) => m.id);
  const views = new Map<string, string>();
  return {
    modulesUnder,
    viewOf: (ref, task) => {
      if (viewing.length === 0 || ref.kind === 'input') return '';
      const key = `${refKey(ref)}\u0000${task}`;
      let view = views.get(key);
      if (view === undefined) {
        view = [...modulesUnder(ref)].some((m) => ownViews(m)?.has(task)) ? task : '';
        views.set(key, view);
      }
      return view;
    },
  };
}

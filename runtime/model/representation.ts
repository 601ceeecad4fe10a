/**
 * The shared representation of a set of tasks: the output of the one layer every one of them reads, through modules
 * shared by the graph alone (hard sharing), after which nothing is read by two of them. An aggregation `on:
 * representation` differentiates each task's loss with respect to it, so everything two tasks share must lie at or
 * before it. Found from the job's graph: the compiler allows `on: representation` only where it exists (rule
 * one-shared-representation); assertRunnable refuses a job without it, and the step looks it up per set of tasks.
 */
import type { LayerRef, ModelGraph } from './graph.js';
import { refKey } from './refs.js';

export type SharedRepresentation = { at: LayerRef } | { why: string };

/** The layers a task's head reads through, from the head back to the model input; or why they are not one chain. */
function pathOf(graph: ModelGraph, task: string): LayerRef[] | string {
  const path: LayerRef[] = [];
  for (let ref = graph.headSource(task); ref.kind === 'layer';) {
    const sharing = graph.module(ref.module).sharing.kind;
    if (sharing !== 'hard') return `task '${task}' reads module '${ref.module}', whose ${sharing} sharing gives each task a representation of its own`;
    path.push(ref);
    const sources = graph.reads(ref, task);
    if (sources.length !== 1) return `task '${task}' reads layer ${ref.layer} of module '${ref.module}', which reads several sources`;
    ref = sources[0]!;
  }
  return path;
}

/** The representation `tasks` (two or more) share, or why they share none. */
export function sharedRepresentation(graph: ModelGraph, tasks: readonly string[]): SharedRepresentation {
  const paths: LayerRef[][] = [];
  for (const task of tasks) {
    const path = pathOf(graph, task);
    if (typeof path === 'string') return { why: path };
    paths.push(path);
  }
  const keys = paths.map((path) => path.map(refKey));
  // The deepest layer on every task's path: the first one of the first task's path that all the others read too.
  const index = keys[0]!.findIndex((key) => keys.every((other) => other.includes(key)));
  if (index < 0) return { why: `tasks '${tasks.join("', '")}' read no layer in common` };
  const at = paths[0]![index]!;
  // After it, each task's branch must be its own: a layer two tasks read there would hold shared parameters the
  // representation's gradients do not reach.
  const after = new Map<string, string>();
  for (const [t, path] of keys.entries()) {
    for (const key of path.slice(0, path.indexOf(refKey(at)))) {
      const other = after.get(key);
      if (other !== undefined) return { why: `tasks '${other}' and '${tasks[t]}' both read ${key.replace('layer:', 'layer ')} after the shared representation` };
      after.set(key, tasks[t]!);
    }
  }
  return { at };
}

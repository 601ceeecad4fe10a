/**
 * The whole optimization pipeline, in order. Each pass rewrites the graph in place, so `optimize` takes ownership of
 * the graph it is given; `verify` checks the invariants after every pass, and `dumpAfter` hands back a copy of the
 * graph as it was after the named pass.
 */
import { performance } from 'node:perf_hooks';
import { cloneGraph, type IrGraph } from './graph.js';
import type { Pass } from './pass.js';
import { verifyGraph } from './verify.js';
import { eliminateDeadTasks } from './passes/eliminate-dead-tasks.js';
import { eliminateDeadNodes } from './passes/eliminate-dead-nodes.js';
import { mergeIdenticalTransforms } from './passes/merge-identical-transforms.js';
import { mergeIdenticalLayers } from './passes/merge-identical-layers.js';
import { inferShapes } from './passes/infer-shapes.js';
import { onehotLookup } from './passes/onehot-lookup.js';
import { OPTIMIZATIONS } from '../../shared/optimizations.js';

export const passes: readonly Pass[] = [
  eliminateDeadTasks,
  eliminateDeadNodes,
  mergeIdenticalTransforms,
  mergeIdenticalLayers,
  inferShapes,
  onehotLookup,
];

/** The passes that only make the job faster to run, which `--no-opt NAME` may leave out (shared/optimizations.ts); the others make it correct. */
export const optionalPasses: ReadonlySet<string> = new Set(passes.map((p) => p.name).filter((name) => name in OPTIMIZATIONS));

export interface PipelineOptions {
  verify?: boolean;
  dumpAfter?: string;
  /** When given, each pass appends how long it took (verification and dumping not counted). */
  timings?: { phase: string; ms: number }[];
  /** Optional passes (optionalPasses) to leave out. */
  skip?: ReadonlySet<string>;
}

export interface PipelineResult {
  graph: IrGraph;
  /** The graph right after `dumpAfter`, when asked. */
  dumped: IrGraph | null;
}

export class IrVerificationError extends Error {}

export function optimize(graph: IrGraph, options: PipelineOptions = {}): PipelineResult {
  let dumped: IrGraph | null = null;
  if (options.verify) assertValid(graph, 'build', false);
  for (const pass of passes) {
    if (options.skip?.has(pass.name) && optionalPasses.has(pass.name)) continue;
    const start = performance.now();
    graph = pass.run(graph);
    options.timings?.push({ phase: pass.name, ms: performance.now() - start });
    if (options.verify) assertValid(graph, pass.name, pass === inferShapes);
    if (options.dumpAfter === pass.name) dumped = cloneGraph(graph);
  }
  return { graph, dumped };
}

function assertValid(graph: IrGraph, after: string, shapes: boolean): void {
  const problems = verifyGraph(graph, { shapes });
  if (problems.length) throw new IrVerificationError(`IR invalid after ${after}:\n  ${problems.join('\n  ')}`);
}

export const passNames = (): string[] => passes.map((p) => p.name);

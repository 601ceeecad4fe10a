import type { IrGraph } from './graph.js';

/** An optimization pass: a pure function from graph to graph, named for `--dump-after`. */
export interface Pass {
  name: string;
  /** One sentence: what the pass does and why it is safe. */
  doc: string;
  run(graph: IrGraph): IrGraph;
}

import type { IrGraph } from './graph.js';

/** An optimization pass: rewrites the graph it is given in place and returns it; named for `--dump-after`. */
export interface Pass {
  name: string;
  /** One sentence: what the pass does and why it is safe. */
  doc: string;
  run(graph: IrGraph): IrGraph;
}

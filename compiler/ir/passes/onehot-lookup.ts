import type { SharingKind } from '../../../job/job.js';
import { nodesOfKind } from '../graph.js';
import type { Pass } from '../pass.js';

/**
 * The sharing schemes whose first dense layers the runtime computes through its dense op (layers/dense.ts and MMoE's
 * fused first layers), which honours a lookup input. Others (cross-stitch, adapters, LoRA, MTAN, …) compute their own
 * products over the input, so an input they read keeps its one-hot blocks.
 */
const LOOKUP_SHARINGS: ReadonlySet<SharingKind> = new Set<SharingKind>(['hard', 'mmoe']);

/**
 * One-hot into a dense layer is a lookup: onehot · W is the sum of the kernel rows the hot ids select. Marks each vector
 * input with a one-hot feature whose every reader is such a dense layer, so the runtime feeds the ids and adds those
 * rows (an embedding bag) instead of multiplying a mostly-zero matrix; its gradient goes to the selected rows alone.
 * The kernel keeps its shape and row order, so checkpoints, exports and `--from` see the same parameters.
 */
export const onehotLookup: Pass = {
  name: 'onehot-lookup',
  doc: 'onehot · W adds the rows of W the hot ids select: the same sums without multiplying the zeros',
  run(graph) {
    for (const [id, input] of nodesOfKind(graph, 'input')) {
      if (input.valueKind !== 'vector') continue;
      const hasOnehot = (graph.predecessors(id) ?? []).some((p) => {
        const node = graph.node(p);
        return node.kind === 'transform' && node.transform.kind === 'onehot';
      });
      const readers = (graph.successors(id) ?? []).map((s) => graph.node(s));
      const allDense = readers.length > 0 && readers.every((r) => r.kind === 'layer' && r.layer.kind === 'dense' && LOOKUP_SHARINGS.has(r.sharing.kind));
      if (hasOnehot && allDense) input.lookup = true;
      else delete input.lookup;
    }
    return graph;
  },
};

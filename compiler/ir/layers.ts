/** What each kind of layer makes of the value kind it reads (the IR builder follows kinds through a chain of layers). */
import type { LayerPlan, LayerKind } from '../../job/job.js';
import type { ValueKind } from './graph.js';

const after: { [K in LayerKind]: (layer: Extract<LayerPlan, { kind: K }>, input: ValueKind) => ValueKind } = {
  dense: (_, input) => input,
  embedding: () => 'sequence',
  conv2d: (_, input) => input,
  pool: (layer, input) => (layer.size === 0 ? 'vector' : input),
  flatten: () => 'vector',
  lstm: () => 'sequence',
  transformer: () => 'sequence',
  mixture: (_, input) => input,
};

/** The value kind after a layer. */
export function kindAfter(layer: LayerPlan, input: ValueKind): ValueKind {
  return (after[layer.kind] as (layer: LayerPlan, input: ValueKind) => ValueKind)(layer, input);
}

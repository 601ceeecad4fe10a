/** Backbone constructor calls → layer plans. `visible` marks the layers `depth:` counts (the end of each user-visible block). */
import type { LayerPlan, Activation, Width } from '../../job/job.js';
import type { ValueOf } from '../check/values.js';
import type { ValueKind } from './graph.js';

export interface ExpandedLayer {
  layer: LayerPlan;
  visible: boolean;
}

const num = (v: ValueOf<'call'>['args'][string] | undefined, fallback: number): number => (v?.v === 'number' ? v.n : fallback);
const nums = (v: ValueOf<'call'>['args'][string] | undefined): number[] => (v?.v === 'list' ? v.items.flatMap((i) => (i.v === 'number' ? [i.n] : [])) : []);
const act = (v: ValueOf<'call'>['args'][string] | undefined): Activation => (v?.v === 'enum' ? (v.name as Activation) : 'relu');
const bool = (v: ValueOf<'call'>['args'][string] | undefined, fallback: boolean): boolean => (v?.v === 'bool' ? v.b : fallback);

/** Expands one part; `inputKind` decides whether a sequence model needs its own token embedding; `vocab` sizes it. */
export function expandPart(call: ValueOf<'call'>, inputKind: ValueKind, vocab: Width): ExpandedLayer[] {
  const a = call.args;
  switch (call.ctor.name) {
    case 'mlp':
      return nums(a.units).map((units) => ({ layer: { kind: 'dense', units, activation: act(a.activation), dropout: num(a.dropout, 0) }, visible: true }));
    case 'cnn': {
      const out: ExpandedLayer[] = [];
      for (const filters of nums(a.filters)) {
        out.push({ layer: { kind: 'conv2d', filters, kernel: num(a.kernel, 3), stride: 1, activation: act(a.activation) }, visible: false });
        out.push({ layer: { kind: 'pool', op: 'max', size: num(a.pool, 2) }, visible: true });
      }
      if (bool(a.flatten, true)) out.push({ layer: { kind: 'flatten' }, visible: false });
      return out;
    }
    case 'transformer_encoder': {
      const dim = num(a.dim, 64);
      const out: ExpandedLayer[] = inputKind === 'ids' ? [{ layer: { kind: 'embedding', dim, vocab }, visible: false }] : [];
      for (let i = 0; i < num(a.layers, 2); i++) out.push({ layer: { kind: 'transformer', dim, heads: num(a.heads, 4), ff: num(a.ff, 128), dropout: num(a.dropout, 0.1) }, visible: true });
      return out;
    }
    case 'lstm': {
      const out: ExpandedLayer[] = inputKind === 'ids' ? [{ layer: { kind: 'embedding', dim: num(a.embed_dim, 64), vocab }, visible: false }] : [];
      for (let i = 0; i < num(a.layers, 1); i++) out.push({ layer: { kind: 'lstm', units: num(a.units, 64), bidirectional: bool(a.bidirectional, false) }, visible: true });
      return out;
    }
    case 'pool':
      return [{ layer: { kind: 'pool', op: a.op?.v === 'enum' && a.op.name === 'max' ? 'max' : 'mean', size: 0 }, visible: true }];
    default:
      return [];
  }
}

/** The value kind after a layer. */
export function kindAfter(layer: LayerPlan, kind: ValueKind): ValueKind {
  switch (layer.kind) {
    case 'embedding': case 'transformer': case 'lstm': return 'sequence';
    case 'flatten': return 'vector';
    case 'pool': return layer.size === 0 ? 'vector' : kind;
    default: return kind;
  }
}

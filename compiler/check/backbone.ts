/** Facts about backbone values: their parts in order (through named references), their shapes of input/output, depth. */
import type { CheckedProgram } from './model.js';
import type { Value, ValueOf } from './values.js';
import type { ValueKind } from '../../stdlib/catalog.js';
import type { Span } from '../diagnostics/diagnostic.js';

export interface BackbonePart {
  call: ValueOf<'call'>;
  /** The named backbones walked through to reach it, outermost first. */
  via: string[];
}

/**
 * The leaf constructor calls of a backbone value, in order. References to named backbones are followed;
 * a reference already being expanded is a cycle (reported by the backbone-cycles rule) and stops the walk.
 */
export function backboneParts(value: Value, program: CheckedProgram, via: string[] = []): BackbonePart[] {
  if (value.v === 'ref') {
    if (via.includes(value.name)) return [];
    const symbol = program.backbones.get(value.name);
    const body = symbol?.fields.value;
    return body ? backboneParts(body, program, [...via, value.name]) : [];
  }
  if (value.v !== 'call') return [];
  if (value.ctor.name === 'sequential') return value.rest.flatMap((part) => backboneParts(part, program, via));
  return [{ call: value, via }];
}

/** Layers a part contributes (what `depth:` counts). */
export function partDepth(call: ValueOf<'call'>): number {
  const a = call.args;
  switch (call.ctor.name) {
    case 'mlp': return a.units?.v === 'list' ? a.units.items.length : 0;
    case 'cnn': return a.filters?.v === 'list' ? a.filters.items.length : 0;
    case 'transformer_encoder': case 'lstm': return a.layers?.v === 'number' ? a.layers.n : 1;
    case 'identity': return 0;
    default: return 1;
  }
}

export function backboneDepth(value: Value, program: CheckedProgram): number {
  return backboneParts(value, program).reduce((sum, part) => sum + partDepth(part.call), 0);
}

export interface FlowError {
  span: Span;
  part: string;
  expected: ValueKind[];
  found: ValueKind;
}

/**
 * What a backbone produces from an input kind, part by part; the first part that cannot take what it is given
 * is an error (e.g. `transformer_encoder` on a vector, `mlp` after nothing that makes vectors).
 */
export function backboneOutput(value: Value, input: ValueKind, program: CheckedProgram): { kind: ValueKind | null; error: FlowError | null } {
  let kind: ValueKind = input;
  for (const { call } of backboneParts(value, program)) {
    const io = call.ctor.io;
    if (!io) continue;
    if (call.ctor.name === 'cnn' && call.args.flatten?.v === 'bool' && !call.args.flatten.b) {
      if (kind !== 'image') return { kind: null, error: { span: call.span, part: call.ctor.name, expected: ['image'], found: kind } };
      kind = 'image';
      continue;
    }
    const next = io[kind];
    if (!next) return { kind: null, error: { span: call.span, part: call.ctor.name, expected: Object.keys(io) as ValueKind[], found: kind } };
    kind = next;
  }
  return { kind, error: null };
}

export const kindWords: Record<ValueKind, string> = {
  vector: 'a vector per row',
  ids: 'a sequence of token ids',
  sequence: 'a sequence of vectors (one per token)',
  image: 'an image (feature map)',
};

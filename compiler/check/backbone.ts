/** Facts about backbone values: their parts in order (through named references), what flows through them, their depth. */
import type { CheckedProgram } from './model.js';
import type { Value, ValueOf } from './values.js';
import { type ConstructorOf, type ExpandedLayer, type ValueKind, isOf } from '../../stdlib/index.js';
import type { Span } from '../diagnostics/diagnostic.js';
import { argsOf, readable } from './args.js';

/** A backbone constructor that has layers of its own (every one but `sequential`). */
export type LayeredBackbone = Extract<ConstructorOf<'backbone'>, { form: 'layers' }>;

export interface BackbonePart {
  call: ValueOf<'call'>;
  entry: LayeredBackbone;
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
  if (value.v !== 'call' || !isOf(value.ctor, 'backbone')) return [];
  const entry = value.ctor;
  if (entry.form === 'parts') return value.rest.flatMap((part) => backboneParts(part, program, via));
  return [{ call: value, entry, via }];
}

/** A part's layers; null when an argument they depend on did not elaborate (already reported). */
export function partLayers(part: BackbonePart): ExpandedLayer[] | null {
  return readable(() => part.entry.layers(argsOf(part.call)));
}

/** Layers a part contributes to what `depth:` counts; null when not known. */
export function partDepth(part: BackbonePart): number | null {
  return partLayers(part)?.filter((l) => l.visible).length ?? null;
}

/** The layers `depth:` counts in a backbone value; null when a part's are not known. */
export function backboneDepth(value: Value, program: CheckedProgram): number | null {
  let depth = 0;
  for (const part of backboneParts(value, program)) {
    const more = partDepth(part);
    if (more === null) return null;
    depth += more;
  }
  return depth;
}

export interface FlowError {
  span: Span;
  part: string;
  expected: ValueKind[];
  found: ValueKind;
}

/**
 * What parts make of an input kind, one after another; the first part that cannot take what it is given is an
 * error (e.g. `transformer_encoder` on a vector, `mlp` after nothing that makes vectors). The kind is null when
 * a part's flow depends on an argument that did not elaborate.
 */
export function flowThrough(parts: readonly BackbonePart[], input: ValueKind): { kind: ValueKind | null; error: FlowError | null } {
  let kind: ValueKind = input;
  for (const { call, entry } of parts) {
    const flow = readable(() => entry.flow(argsOf(call)));
    if (!flow) return { kind: null, error: null };
    const next = flow[kind];
    if (!next) return { kind: null, error: { span: call.span, part: entry.name, expected: Object.keys(flow) as ValueKind[], found: kind } };
    kind = next;
  }
  return { kind, error: null };
}

export function backboneOutput(value: Value, input: ValueKind, program: CheckedProgram): { kind: ValueKind | null; error: FlowError | null } {
  return flowThrough(backboneParts(value, program), input);
}

export const kindWords: Record<ValueKind, string> = {
  vector: 'a vector per row',
  ids: 'a sequence of token ids',
  sequence: 'a sequence of vectors (one per token)',
  image: 'an image (feature map)',
};

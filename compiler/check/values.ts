/**
 * Elaborated values: what a declaration's fields mean once read against the stdlib catalog.
 * Every value keeps its span; values filled in from defaults are marked `implicit`.
 */
import type { Span } from '../diagnostics/diagnostic.js';
import type { Expr } from '../syntax/ast.js';
import type { Constructor } from '../../stdlib/index.js';
import type { RefKind } from '../../stdlib/types.js';

export type Value =
  | { v: 'number'; n: number; span: Span; implicit?: boolean }
  | { v: 'string'; s: string; span: Span; implicit?: boolean }
  | { v: 'bool'; b: boolean; span: Span; implicit?: boolean }
  | { v: 'null'; span: Span; implicit?: boolean }
  | { v: 'list'; items: Value[]; span: Span; implicit?: boolean }
  | { v: 'record'; entries: RecordEntry[]; span: Span; implicit?: boolean }
  /** A reference to a declaration; `name` is its qualified name in the scope. */
  | { v: 'ref'; to: RefKind; name: string; span: Span; implicit?: boolean }
  | { v: 'column'; name: string; span: Span; implicit?: boolean }
  | { v: 'enum'; name: string; span: Span; implicit?: boolean }
  | { v: 'call'; ctor: Constructor; args: Record<string, Value>; rest: Value[]; span: Span; implicit?: boolean }
  | { v: 'expr'; expr: Expr; span: Span; implicit?: boolean }
  /** An optional field or argument not given. */
  | { v: 'absent'; span: Span; implicit?: boolean }
  /** Already reported: later phases skip it quietly. */
  | { v: 'error'; span: Span; implicit?: boolean };

export interface RecordEntry {
  key: string;
  keySpan: Span;
  value: Value;
}

export type ValueOf<K extends Value['v']> = Extract<Value, { v: K }>;

export function isCall(value: Value | undefined, name?: string): value is ValueOf<'call'> {
  return value?.v === 'call' && (name === undefined || value.ctor.name === name);
}

export function numberOf(value: Value | undefined): number | null {
  return value?.v === 'number' ? value.n : null;
}

export function stringOf(value: Value | undefined): string | null {
  return value?.v === 'string' ? value.s : null;
}

export function listOf(value: Value | undefined): Value[] {
  return value?.v === 'list' ? value.items : [];
}

export function refName(value: Value | undefined): string | null {
  return value?.v === 'ref' ? value.name : null;
}

/**
 * The one walk over elaborated values: every value, children after their parent, each with its place (the
 * parameter it was given for, the call it is an argument of, its record key). Rules that look for something
 * anywhere in a program (references, calls, numbers to check) walk with it instead of recursing on their own.
 */
import { declarationFields, type Param } from '../../stdlib/index.js';
import type { CheckedProgram } from './model.js';
import type { Value, ValueOf } from './values.js';
import type { Span } from '../diagnostics/diagnostic.js';

export interface Place {
  /** The parameter or field it is (or is an item or entry of); null for a backbone's or share's body, and a call's positional rest. */
  param: Param | null;
  /** The call it is an argument of (or an item or entry of an argument of). */
  call: ValueOf<'call'> | null;
  /** The key of the record entry it is the value of. */
  key: string | null;
}

export type Visitor = (value: Value, place: Place) => void;

const TOP: Place = { param: null, call: null, key: null };

export function walkValue(value: Value | undefined, visit: Visitor, place: Place = TOP): void {
  if (!value) return;
  visit(value, place);
  switch (value.v) {
    case 'list':
      for (const item of value.items) walkValue(item, visit, { ...place, key: null });
      return;
    case 'record':
      for (const entry of value.entries) walkValue(entry.value, visit, { ...place, key: entry.key });
      return;
    case 'call':
      for (const param of value.ctor.params) walkValue(value.args[param.name], visit, { param, call: value, key: null });
      for (const part of value.rest) walkValue(part, visit, { param: null, call: value, key: null });
      return;
    case 'number': case 'string': case 'bool': case 'null': case 'ref': case 'column': case 'enum': case 'expr': case 'absent': case 'error':
      return;
  }
}

/** A declaration's fields, each with its parameter (none for the body of a `backbone` or `share`). */
export function walkFields(fields: Record<string, Value>, params: readonly Param[], visit: Visitor): void {
  for (const [name, value] of Object.entries(fields)) walkValue(value, visit, { param: params.find((p) => p.name === name) ?? null, call: null, key: null });
}

/** Every value of every declaration, and of the default `train` block when the program has none. */
export function walkProgram(program: CheckedProgram, visit: Visitor): void {
  for (const symbol of program.scope.symbols) walkFields(symbol.fields, declarationFields[symbol.kind], visit);
  if (!program.trainSymbol) walkFields(program.train, declarationFields.train, visit);
}

/** Whether a value is a record keyed by task names (`task_lr`, explicit sampling's `probs`, `weighted`'s `metrics`). */
export function isTaskRecord(value: Value, place: Place): value is ValueOf<'record'> {
  return value.v === 'record' && place.key === null && place.param?.type.t === 'record' && place.param.type.keys === 'task';
}

/** Every task a declaration's fields name: references (a share's or a stage's `tasks`, `select`'s `task`) and task-keyed records' keys. */
export function walkTaskNames(fields: Record<string, Value>, params: readonly Param[], visit: (name: string, span: Span) => void): void {
  walkFields(fields, params, (value, place) => {
    if (value.v === 'ref' && value.to === 'task') visit(value.name, value.span);
    if (isTaskRecord(value, place)) for (const entry of value.entries) visit(entry.key, entry.keySpan);
  });
}

/** The typed AST of one `.mtl` file. Every node carries its source span (offsets; lines are computed when printing). */
import type { Span } from '../diagnostics/diagnostic.js';
import type { DeclarationKind } from '../../stdlib/declarations.js';

/** Declared in the stdlib beside the fields of each kind. */
export type { DeclarationKind };

export interface Name {
  text: string;
  span: Span;
}

export interface Import {
  type: 'Import';
  /** The path as written, relative to the importing file. */
  path: string;
  pathSpan: Span;
  alias: Name | null;
  span: Span;
  /** It has a syntax error, already reported: later phases say nothing more about it. */
  recovered?: boolean;
}

export interface Declaration {
  type: 'Declaration';
  kind: DeclarationKind;
  kindSpan: Span;
  name: Name | null;
  /** `{ field: value ... }` or `= expression`. */
  body: RecordExpr | Expr;
  form: 'block' | 'assign';
  span: Span;
  /** It has a syntax error, already reported: the checker reports nothing inside it (it was read from a guess). */
  recovered?: boolean;
}

export interface Program {
  type: 'Program';
  file: string;
  imports: Import[];
  declarations: Declaration[];
  span: Span;
}

export interface Field {
  name: Name;
  value: Expr;
  span: Span;
}

export interface Argument {
  name: Name | null;
  value: Expr;
  span: Span;
}

export type BinaryOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/' | 'and' | 'or';

export interface NumberExpr { type: 'Number'; value: number; raw: string; span: Span }
export interface StringExpr { type: 'String'; value: string; span: Span }
export interface BoolExpr { type: 'Bool'; value: boolean; span: Span }
export interface NullExpr { type: 'Null'; span: Span }
export interface NameExpr { type: 'Name'; name: string; span: Span }
export interface MemberExpr { type: 'Member'; object: Expr; property: Name; span: Span }
export interface CallExpr { type: 'Call'; callee: Expr; args: Argument[]; span: Span }
export interface ListExpr { type: 'List'; items: Expr[]; span: Span }
export interface RecordExpr { type: 'Record'; fields: Field[]; span: Span }
export interface BinaryExpr { type: 'Binary'; op: BinaryOperator; left: Expr; right: Expr; opSpan: Span; span: Span }
export interface UnaryExpr { type: 'Unary'; op: 'not' | '-'; operand: Expr; span: Span }
/** Stands where the parser recovered from an error, so later phases skip it quietly. */
export interface ErrorExpr { type: 'Error'; span: Span }

export type Expr =
  | NumberExpr | StringExpr | BoolExpr | NullExpr | NameExpr | MemberExpr | CallExpr
  | ListExpr | RecordExpr | BinaryExpr | UnaryExpr | ErrorExpr;

export function joinSpans(a: Span, b: Span): Span {
  return { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** `a.b.c` as a dotted string, or null if the expression is not a plain (qualified) name. */
export function qualifiedName(expr: Expr): string | null {
  if (expr.type === 'Name') return expr.name;
  if (expr.type === 'Member') {
    const object = qualifiedName(expr.object);
    return object === null ? null : `${object}.${expr.property.text}`;
  }
  return null;
}

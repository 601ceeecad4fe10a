/**
 * Label expressions, compiled once per record batch into closures over that batch's columns.
 * Null in, null out: any null operand makes the result null, and the row is masked for the task.
 */
import type { Expr } from '../../job/job.js';
import type { CellValue } from './columns.js';

export type RowFunction = (row: number) => CellValue;

/** Every leaf of an expression (a column or a literal), left to right. */
export function forEachLeaf(expr: Expr, visit: (leaf: Extract<Expr, { col: string }> | Extract<Expr, { lit: unknown }>) => void): void {
  if ('col' in expr || 'lit' in expr) visit(expr);
  else if (expr.op === 'in') {
    forEachLeaf(expr.args[0], visit);
    for (const e of expr.args[1]) forEachLeaf(e, visit);
  } else {
    for (const e of expr.args) forEachLeaf(e, visit);
  }
}

/** The columns an expression reads, in order of first use. */
export function exprColumns(expr: Expr): string[] {
  const out: string[] = [];
  forEachLeaf(expr, (leaf) => {
    if ('col' in leaf && !out.includes(leaf.col)) out.push(leaf.col);
  });
  return out;
}

/** Booleans compare and add as 0/1; a number compared with a string compares as its text. */
function asNumber(v: number | string | boolean): number {
  return typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
}

function equal(a: number | string | boolean, b: number | string | boolean): boolean {
  if (typeof a === typeof b) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return String(a) === String(b);
  return asNumber(a) === asNumber(b);
}

function compare(a: number | string | boolean, b: number | string | boolean): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return asNumber(a) - asNumber(b);
}

function truthy(v: number | string | boolean): boolean {
  return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : v.length > 0;
}

/** Compiles `expr`; `column(name)` gives the reader of a column of the current record batch. */
export function compileExpr(expr: Expr, column: (name: string) => RowFunction): RowFunction {
  if ('col' in expr) return column(expr.col);
  if ('lit' in expr) {
    const value = expr.lit;
    return () => value;
  }
  switch (expr.op) {
    case 'not': {
      const a = compileExpr(expr.args[0], column);
      return (row) => {
        const v = a(row);
        return v === null ? null : !truthy(v);
      };
    }
    case 'neg': {
      const a = compileExpr(expr.args[0], column);
      return (row) => {
        const v = a(row);
        return v === null ? null : -asNumber(v);
      };
    }
    case 'in': {
      const a = compileExpr(expr.args[0], column);
      const options = expr.args[1].map((e) => compileExpr(e, column));
      return (row) => {
        const v = a(row);
        if (v === null) return null;
        for (const option of options) {
          const o = option(row);
          if (o !== null && equal(v, o)) return true;
        }
        return false;
      };
    }
    default: {
      const op = expr.op;
      const left = compileExpr(expr.args[0], column);
      const right = compileExpr(expr.args[1], column);
      const apply = binary(op);
      return (row) => {
        const a = left(row);
        if (a === null) return null;
        const b = right(row);
        if (b === null) return null;
        return apply(a, b);
      };
    }
  }
}

type Operand = number | string | boolean;

function binary(op: '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | 'and' | 'or'): (a: Operand, b: Operand) => CellValue {
  switch (op) {
    case '==':
      return (a, b) => equal(a, b);
    case '!=':
      return (a, b) => !equal(a, b);
    case '<':
      return (a, b) => compare(a, b) < 0;
    case '<=':
      return (a, b) => compare(a, b) <= 0;
    case '>':
      return (a, b) => compare(a, b) > 0;
    case '>=':
      return (a, b) => compare(a, b) >= 0;
    case '+':
      return (a, b) => (typeof a === 'string' || typeof b === 'string' ? String(a) + String(b) : asNumber(a) + asNumber(b));
    case '-':
      return (a, b) => asNumber(a) - asNumber(b);
    case '*':
      return (a, b) => asNumber(a) * asNumber(b);
    case '/':
      return (a, b) => asNumber(a) / asNumber(b);
    case 'and':
      return (a, b) => truthy(a) && truthy(b);
    case 'or':
      return (a, b) => truthy(a) || truthy(b);
  }
}

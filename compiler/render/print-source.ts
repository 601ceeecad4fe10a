/** Values and expressions back to `.mtl` source text (for `mtl render` and messages). */
import type * as A from '../syntax/ast.js';
import type { Value } from '../check/values.js';

/** Binding strength of binary operators, as the AST builder applies it (`mtl fmt` prints with it too). */
export const PRECEDENCE: Record<string, number> = { or: 1, and: 2, '==': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, in: 4, '+': 5, '-': 5, '*': 6, '/': 6 };

export function printExpr(expr: A.Expr, parent = 0): string {
  switch (expr.type) {
    case 'Number': return expr.raw;
    case 'String': return JSON.stringify(expr.value);
    case 'Bool': return String(expr.value);
    case 'Null': return 'null';
    case 'Name': return expr.name;
    case 'Member': return `${printExpr(expr.object, 9)}.${expr.property.text}`;
    case 'Call': return `${printExpr(expr.callee, 9)}(${expr.args.map((a) => (a.name ? `${a.name.text}: ` : '') + printExpr(a.value)).join(', ')})`;
    case 'List': return `[${expr.items.map((i) => printExpr(i)).join(', ')}]`;
    case 'Record': return `{ ${expr.fields.map((f) => `${f.name.text}: ${printExpr(f.value)}`).join(', ')} }`;
    case 'Unary': {
      const text = expr.op === 'not' ? `not ${printExpr(expr.operand, 3)}` : `-${printExpr(expr.operand, 7)}`;
      return parent > (expr.op === 'not' ? 3 : 7) ? `(${text})` : text;
    }
    case 'Binary': {
      const p = PRECEDENCE[expr.op] ?? 0;
      const text = `${printExpr(expr.left, p)} ${expr.op} ${printExpr(expr.right, p + 1)}`;
      return parent > p ? `(${text})` : text;
    }
    case 'Error': return '<error>';
  }
}

function printNumber(n: number): string {
  return String(n);
}

/** A value as source; `indent` is the current indentation for multi-line lists. */
export function printValue(value: Value, indent = ''): string {
  switch (value.v) {
    case 'number': return printNumber(value.n);
    case 'string': return JSON.stringify(value.s);
    case 'bool': return String(value.b);
    case 'null': case 'absent': return 'null';
    case 'list': {
      const items = value.items.map((i) => printValue(i, indent + '  '));
      const flat = `[${items.join(', ')}]`;
      return flat.length <= 80 ? flat : `[\n${items.map((i) => `${indent}  ${i},`).join('\n')}\n${indent}]`;
    }
    case 'record': {
      const flat = `{ ${value.entries.map((e) => `${e.key}: ${printValue(e.value, indent + '  ')}`).join(', ')} }`;
      if (value.entries.length === 0) return '{}';
      return flat.length <= 80 ? flat : `{\n${value.entries.map((e) => `${indent}  ${e.key}: ${printValue(e.value, indent + '  ')},`).join('\n')}\n${indent}}`;
    }
    case 'ref': case 'column': case 'enum': return value.name;
    case 'expr': return printExpr(value.expr);
    case 'call': {
      const positional = value.rest.map((r) => printValue(r, indent));
      const named = value.ctor.params.filter((p) => value.args[p.name] && value.args[p.name]!.v !== 'absent').map((p) => `${p.name}: ${printValue(value.args[p.name]!, indent)}`);
      return `${value.ctor.name}(${[...positional, ...named].join(', ')})`;
    }
    case 'error': return '<error>';
  }
}

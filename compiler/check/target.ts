/** The type of a task's target expression, from the dataset's column types. Unknown columns are the known-columns rule's. */
import type * as A from '../syntax/ast.js';
import type { ColumnType } from './model.js';

export interface TargetProblem {
  span: A.Expr['span'];
  message: string;
  label: string;
}

export function targetType(expr: A.Expr, columns: ReadonlyMap<string, { type: ColumnType }>, problems: TargetProblem[] = []): ColumnType | null {
  switch (expr.type) {
    case 'Number': return Number.isInteger(expr.value) ? 'int' : 'float';
    case 'String': return 'string';
    case 'Bool': return 'bool';
    case 'Null': return null;
    case 'Name': return columns.get(expr.name)?.type ?? null;
    case 'Unary': {
      const operand = targetType(expr.operand, columns, problems);
      return expr.op === 'not' ? 'bool' : operand;
    }
    case 'Binary': {
      const left = targetType(expr.left, columns, problems);
      if (expr.op === 'in') {
        if (expr.right.type !== 'List') problems.push({ span: expr.right.span, message: '`in` needs a list of values on its right', label: 'not a list' });
        else for (const item of expr.right.items) targetType(item, columns, problems);
        return 'bool';
      }
      const right = targetType(expr.right, columns, problems);
      if (['==', '!=', '<', '<=', '>', '>=', 'and', 'or'].includes(expr.op)) {
        if (['<', '<=', '>', '>='].includes(expr.op) && (!isNumeric(left) || !isNumeric(right)) && left && right) {
          problems.push({ span: expr.opSpan, message: `\`${expr.op}\` compares numbers, found ${left} and ${right}`, label: 'not numbers' });
        }
        return 'bool';
      }
      if (left && right && (!isNumeric(left) || !isNumeric(right))) {
        problems.push({ span: expr.opSpan, message: `\`${expr.op}\` needs numbers, found ${left} and ${right}`, label: 'not numbers' });
        return null;
      }
      return left === 'int' && right === 'int' && expr.op !== '/' ? 'int' : 'float';
    }
    default:
      problems.push({ span: expr.span, message: 'a target is a column or an expression over columns (`==`, `and`, `+`, `in [...]`, ...)', label: 'not allowed in a target' });
      return null;
  }
}

export function isNumeric(type: ColumnType | null): boolean {
  return type === 'float' || type === 'int' || type === 'bool';
}

/** Column names an expression reads. */
export function targetColumns(expr: A.Expr, out: A.NameExpr[] = []): A.NameExpr[] {
  switch (expr.type) {
    case 'Name': out.push(expr); break;
    case 'Unary': targetColumns(expr.operand, out); break;
    case 'Binary':
      targetColumns(expr.left, out);
      if (expr.right.type === 'List') expr.right.items.forEach((i) => targetColumns(i, out));
      else targetColumns(expr.right, out);
      break;
    default: break;
  }
  return out;
}

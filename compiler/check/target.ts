/** The type of a task's target expression, from the dataset's column types. Unknown columns are the known-columns rule's. */
import type * as A from '../syntax/ast.js';
import type { ColumnType } from './model.js';
import { Codes } from '../diagnostics/codes.js';

export interface TargetProblem {
  span: A.Expr['span'];
  message: string;
  label: string;
  /** MTL0206 unless given. */
  code?: string;
  help?: string;
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
        else for (const item of expr.right.items) compareTypes(left, targetType(item, columns, problems), expr, item.span, problems);
        return 'bool';
      }
      const right = targetType(expr.right, columns, problems);
      if (['==', '!=', '<', '<=', '>', '>=', 'and', 'or'].includes(expr.op)) {
        if (['<', '<=', '>', '>='].includes(expr.op) && (!isNumeric(left) || !isNumeric(right)) && left && right) {
          problems.push({ span: expr.opSpan, message: `\`${expr.op}\` compares numbers, found ${left} and ${right}`, label: 'not numbers' });
        }
        if (expr.op === '==' || expr.op === '!=') compareTypes(left, right, expr, expr.right.span, problems);
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

/** Numbers compare with int and float columns, strings with strings, bools with bools: else the comparison is constant. */
function compareTypes(left: ColumnType | null, right: ColumnType | null, expr: A.BinaryExpr, at: A.Expr['span'], problems: TargetProblem[]): void {
  const group = (t: ColumnType): string => (t === 'int' || t === 'float' ? 'number' : t);
  if (!left || !right || group(left) === group(right)) return;
  const column = expr.left.type === 'Name' ? `\`${expr.left.name}\` (${left})` : `a ${left}`;
  const instead = group(left) === 'number' ? 'a number, e.g. `age > 40`' : left === 'string' ? 'a string in quotes, e.g. `color == "red"`' : left === 'bool' ? '`true` or `false`, or the column alone' : `a ${left}`;
  problems.push({
    code: Codes.ComparisonTypes, span: at, label: `${right === 'int' || right === 'float' ? 'a number' : `a ${right}`}`,
    message: `\`${expr.op}\` compares ${column} with ${right === 'int' ? 'an' : 'a'} ${right}: it is never ${expr.op === '!=' ? 'false' : 'true'}`,
    help: `compare it with ${instead}`,
  });
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

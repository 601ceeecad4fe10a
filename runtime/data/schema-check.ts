/**
 * Rule: every column a dataset plan reads exists in each of its files with a compatible Arrow type.
 * float takes any integer or floating type; int takes integer types; string takes Utf8 or a
 * dictionary of Utf8; bool takes Bool; list<…> takes List or FixedSizeList of a compatible item type.
 */
import { DataType, type Field, type Schema } from 'apache-arrow';
import type { ColumnPlan, ColumnType } from '../../job/job.js';

function isStringType(type: DataType): boolean {
  return DataType.isUtf8(type) || (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary));
}

function scalarCompatible(expected: 'float' | 'int' | 'string' | 'bool', type: DataType): boolean {
  switch (expected) {
    case 'float':
      return DataType.isInt(type) || DataType.isFloat(type);
    case 'int':
      return DataType.isInt(type);
    case 'string':
      return isStringType(type);
    case 'bool':
      return DataType.isBool(type);
  }
}

/** Whether an Arrow column of `type` can be read as the plan's `expected` type. */
export function isCompatible(expected: ColumnType, type: DataType): boolean {
  if (expected.startsWith('list<')) {
    if (!DataType.isList(type) && !DataType.isFixedSizeList(type)) return false;
    const item = expected.slice('list<'.length, -1) as 'float' | 'int' | 'string' | 'bool';
    return scalarCompatible(item, type.children[0]!.type);
  }
  return scalarCompatible(expected as 'float' | 'int' | 'string' | 'bool', type);
}

/** Arrow's own name of a type, e.g. `Dictionary<Int32, Utf8>` or `List<Float64>`. */
export function describeArrowType(type: DataType): string {
  return String(type);
}

function listColumns(fields: readonly Field[]): string {
  const names = fields.map((f) => f.name);
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown}, … (${names.length} in all)` : shown;
}

/** The problems (one message each) with `schema` as the file `display` of a dataset that reads `columns`. */
export function schemaProblems(schema: Schema, columns: readonly ColumnPlan[], display: string): string[] {
  const problems: string[] = [];
  for (const column of columns) {
    const field = schema.fields.find((f) => f.name === column.name);
    if (!field) {
      problems.push(`${display} has no column "${column.name}" (it has: ${listColumns(schema.fields) || 'no columns'})`);
    } else if (!isCompatible(column.type, field.type)) {
      problems.push(`${display}: column "${column.name}" should be ${column.type} but is ${describeArrowType(field.type)}`);
    }
  }
  return problems;
}

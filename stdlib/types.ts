/**
 * The type language the checker uses to read declarations and constructor calls.
 * Declarations, constructors and their parameters are all described with these types (see index.ts and the file of each category),
 * so one elaborator checks names, arity and types for everything.
 */
export type Category =
  | 'transform' | 'head' | 'loss' | 'metric' | 'split' | 'backbone' | 'sharing' | 'optimizer' | 'schedule'
  | 'sampling' | 'phase' | 'weighting' | 'aggregation' | 'stage' | 'selection' | 'acceptance' | 'column_type';

export type RefKind = 'dataset' | 'features' | 'backbone' | 'task' | 'share';

export type Type =
  | { t: 'number' }
  | { t: 'int' }
  | { t: 'string' }
  | { t: 'bool' }
  | { t: 'list'; of: Type }
  /** `{ key: value, ... }` with free keys (column names, task names). */
  | { t: 'record'; of: Type; keys?: 'task' | 'column' }
  | { t: 'ref'; to: RefKind }
  /** A bare name read as a column of the dataset in scope. */
  | { t: 'column' }
  | { t: 'enum'; values: readonly string[] }
  /** A call (or a bare name, for calls without required arguments) of a stdlib constructor of this category. */
  | { t: 'ctor'; category: Category }
  /** A row expression over columns (a task's target). */
  | { t: 'expr' }
  | { t: 'union'; of: Type[] }
  | { t: 'optional'; of: Type };

export const number: Type = { t: 'number' };
export const int: Type = { t: 'int' };
export const string: Type = { t: 'string' };
export const bool: Type = { t: 'bool' };
export const column: Type = { t: 'column' };
export const expr: Type = { t: 'expr' };
export const list = (of: Type): Type => ({ t: 'list', of });
export const record = (of: Type, keys?: 'task' | 'column'): Type => (keys ? { t: 'record', of, keys } : { t: 'record', of });
export const ref = (to: RefKind): Type => ({ t: 'ref', to });
export const ctor = (category: Category): Type => ({ t: 'ctor', category });
export const oneOf = (...values: string[]): Type => ({ t: 'enum', values });
export const union = (...of: Type[]): Type => ({ t: 'union', of });
export const optional = (of: Type): Type => ({ t: 'optional', of });

/** How a type reads in messages: "a list of integers", "a task name". */
export function describeType(type: Type): string {
  switch (type.t) {
    case 'number': return 'a number';
    case 'int': return 'an integer';
    case 'string': return 'a string';
    case 'bool': return '`true` or `false`';
    case 'list': return `a list of ${plural(type.of)}`;
    case 'record': return `a record of ${plural(type.of)}${type.keys ? ` by ${type.keys} name` : ''}`;
    case 'ref': return `a ${type.to} name`;
    case 'column': return 'a column name';
    case 'enum': return type.values.length <= 6 ? `one of ${type.values.map((v) => `\`${v}\``).join(', ')}` : `one of the ${type.values.length} accepted names`;
    case 'ctor': return `a ${type.category.replace('_', ' ')}`;
    case 'expr': return 'an expression over columns';
    case 'union': return type.of.map(describeType).join(' or ');
    case 'optional': return describeType(type.of);
  }
}

function plural(type: Type): string {
  const one = describeType(type);
  switch (type.t) {
    case 'number': return 'numbers';
    case 'int': return 'integers';
    case 'string': return 'strings';
    case 'ref': return `${type.to} names`;
    case 'column': return 'column names';
    case 'ctor': return `${type.category.replace('_', ' ')}s`;
    default: return one;
  }
}

/** How a type reads in signatures (`mtl stdlib`): `list<int>`, `backbone`, `relu|tanh`. */
export function typeSignature(type: Type): string {
  switch (type.t) {
    case 'list': return `list<${typeSignature(type.of)}>`;
    case 'record': return `{${type.keys ?? 'name'}: ${typeSignature(type.of)}}`;
    case 'ref': return type.to;
    case 'ctor': return type.category;
    case 'enum': return type.values.join('|');
    case 'union': return type.of.map(typeSignature).join(' | ');
    case 'optional': return `${typeSignature(type.of)}?`;
    default: return type.t;
  }
}

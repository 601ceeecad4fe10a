/** The `--columns` option of `mtl data import`: `name:type,name,…` or `:type` for a type by position. */
import { UserError } from '../errors.js';
import { CSV_COLUMN_TYPES, type CsvColumnType } from './csv-values.js';

export interface CsvColumnSpec {
  name?: string;
  type?: CsvColumnType;
}

/** Parses e.g. "age:float,education:string,income" into column specs; a UserError names a bad entry. */
export function parseColumnSpec(spec: string): CsvColumnSpec[] {
  const entries = spec.split(',').map((e) => e.trim());
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    if (entry === '') throw new UserError(`--columns: entry ${i + 1} is empty (in "${spec}")`);
    const colon = entry.lastIndexOf(':');
    const name = (colon < 0 ? entry : entry.slice(0, colon)).trim();
    const typeText = colon < 0 ? undefined : entry.slice(colon + 1).trim();
    const column: CsvColumnSpec = {};
    if (name !== '') {
      if (seen.has(name)) throw new UserError(`--columns: column "${name}" is given twice`);
      seen.add(name);
      column.name = name;
    }
    if (typeText !== undefined) {
      if (!(CSV_COLUMN_TYPES as readonly string[]).includes(typeText)) {
        throw new UserError(`--columns: "${entry}" has the unknown type "${typeText}" (types: ${CSV_COLUMN_TYPES.join(', ')})`);
      }
      column.type = typeText as CsvColumnType;
    }
    if (column.name === undefined && column.type === undefined) throw new UserError(`--columns: entry ${i + 1} ("${entry}") has neither a name nor a type`);
    return column;
  });
}

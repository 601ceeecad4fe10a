/**
 * The JSON Schema of a predict request, derived from the model's input schema: `rows`, each an object with every
 * column the requested tasks read, typed as the package says (null allowed where the encoder takes it: an unseen
 * category), and `tasks`. Fastify checks the envelope; each model version checks its rows with a validator compiled
 * per set of requested tasks. A failure is described as a 400 naming the field: `rows[3].age: expected a number or
 * null, found "abc"`.
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { ColumnType } from '../job/job.js';
import type { PackageManifest } from '../runtime/serving/package-format.js';
import { badRequest, type HttpError } from './http-error.js';

type AjvClass = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as unknown as AjvClass;
// verbose: the errors carry the value found, which the messages quote.
const ajv = new Ajv({ allErrors: false, verbose: true, strict: false });

/** Each column type as JSON Schema, with the words a message uses for it. */
const columnSchemas = {
  float: { schema: { type: ['number', 'null'] }, words: 'a number or null' },
  int: { schema: { type: ['integer', 'null'] }, words: 'a whole number or null' },
  string: { schema: { type: ['string', 'null'] }, words: 'a string or null' },
  bool: { schema: { type: ['boolean', 'null'] }, words: 'true, false or null' },
  'list<float>': { schema: { type: ['array', 'null'], items: { type: 'number' } }, words: 'a list of numbers' },
  'list<int>': { schema: { type: ['array', 'null'], items: { type: 'integer' } }, words: 'a list of whole numbers' },
  'list<string>': { schema: { type: ['array', 'null'], items: { type: 'string' } }, words: 'a list of strings' },
  'list<bool>': { schema: { type: ['array', 'null'], items: { type: 'boolean' } }, words: 'a list of true or false' },
} satisfies Record<ColumnType, { schema: object; words: string }>;

/** The envelope fastify checks before the model is known. */
export function envelopeSchema(maxRows: number): object {
  return {
    type: 'object',
    required: ['rows'],
    additionalProperties: false,
    properties: {
      rows: { type: 'array', minItems: 1, maxItems: maxRows, items: { type: 'object' } },
      tasks: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
    },
  };
}

/** A check of the envelope: the first problem as a 400 naming the field, or null. */
export function envelopeValidator(maxRows: number): (body: unknown) => HttpError | null {
  const validate = ajv.compile(envelopeSchema(maxRows));
  return (body) => (validate(body) ? null : describeSchemaError(validate.errors![0]!, 'body'));
}

/** The schema of one row of a request for `tasks`: the columns they read, required, typed. */
export function rowSchema(manifest: PackageManifest, tasks: readonly string[]): object {
  const needed = new Set(manifest.tasks.filter((t) => tasks.includes(t.name)).flatMap((t) => t.columns));
  const columns = manifest.inputSchema.columns.filter((c) => needed.has(c.name));
  return {
    type: 'object',
    required: columns.map((c) => c.name),
    properties: Object.fromEntries(columns.map((c) => [c.name, columnSchemas[c.type].schema])),
  };
}

/** A request schema per model version, its row validators compiled once per set of tasks asked for. */
export class RowValidator {
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly manifest: PackageManifest) {}

  /** The first problem of the rows, or null. */
  check(rows: readonly unknown[], tasks: readonly string[]): HttpError | null {
    const key = [...tasks].sort().join('\0');
    let validate = this.compiled.get(key);
    if (!validate) this.compiled.set(key, (validate = ajv.compile({ type: 'array', items: rowSchema(this.manifest, tasks) })));
    if (validate(rows)) return null;
    return describeSchemaError(validate.errors![0]!, 'rows', (column) => this.manifest.inputSchema.columns.find((c) => c.name === column)?.type);
  }
}

/** `/3/age` under `rows` as `rows[3].age`. */
function fieldName(root: string, instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`), root);
}

function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const typeWords: Record<string, string> = { object: 'an object', array: 'a list', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', null: 'null' };

/** One schema failure as a 400: the field (`rows[3].age`), what was expected and what was found. */
export function describeSchemaError(error: ErrorObject, root: string, columnType: (name: string) => ColumnType | undefined = () => undefined): HttpError {
  const field = fieldName(root, error.instancePath);
  // The column, when the field is one (not an item of a list column).
  const column = field.match(/^rows\[\d+\]\.([^.[]+)$/)?.[1];
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const type = columnType(missing);
      return badRequest(`${field}.${missing}: missing${type ? ` (the model reads column \`${missing}\`, ${type})` : ''}`, `${field}.${missing}`);
    }
    case 'type': {
      const type = column === undefined ? undefined : columnType(column);
      const wanted = type ? columnSchemas[type].words : ([] as string[]).concat((error.params as { type: string | string[] }).type).map((t) => typeWords[t] ?? t).join(' or ');
      return badRequest(`${field}: expected ${wanted}, found ${describeFound(error.data)}`, field);
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return badRequest(`${field}.${extra}: unknown field (a request has \`rows\` and \`tasks\`)`, `${field}.${extra}`);
    }
    case 'minItems':
      return badRequest(`${field}: expected at least ${(error.params as { limit: number }).limit} item${(error.params as { limit: number }).limit === 1 ? '' : 's'}, found none`, field);
    case 'maxItems':
      return badRequest(`${field}: at most ${(error.params as { limit: number }).limit} items in one request, found ${describeFound(error.data)}`, field);
    case 'uniqueItems':
      return badRequest(`${field}: a task is named twice`, field);
    default:
      return badRequest(`${field}: ${error.message ?? 'is invalid'}`, field);
  }
}

/**
 * The published JSON Schema of a job — the TypeBox definitions of job.ts written out, with the schemas they reach by
 * `$ref` under `$defs` — and its validator. `npm run build` writes it to docs/job.schema.json.
 */
import AjvModule from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import { JobSchema, JOB_VERSION, REFERENCED_SCHEMAS } from './job.js';

/** TypeBox marks its schemas with symbols; JSON has none, so the published copy is the plain JSON of them. */
const plain = (schema: object): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

export const jobSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://mtl.dev/schema/job-v${JOB_VERSION}.json`,
  title: 'mtl job',
  description: 'A compiled multi-task learning plan, executed by the mtl runtime.',
  ...plain(JobSchema),
  $defs: Object.fromEntries(REFERENCED_SCHEMAS.map((s) => [s.$id as string, plain(s)])),
};

// ajv's 2020-12 build, loaded the way its CommonJS default export works from ESM.
type AjvClass = typeof AjvModule.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvClass }).default ?? Ajv2020Module) as unknown as AjvClass;
let validator: ReturnType<InstanceType<AjvClass>['compile']> | null = null;

/** Problems with a job value's shape, as "path message" lines; empty when it matches the schema. */
export function validateJob(value: unknown): string[] {
  validator ??= new Ajv2020({ allErrors: true, strict: false }).compile(jobSchema);
  if (validator(value)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/**
 * The model package: a directory holding what serving a trained model needs and nothing of its training
 * (docs/model-package.md). Defined once, as TypeBox schemas, like the job; a package is read through `readPackage`,
 * which checks the format, the version and every file's shape, and says what is wrong in words.
 *
 *   manifest.json    PackageManifest: who and what the package is, the input schema, the tasks and their output
 *                    columns, the validation metrics and prediction distributions recorded at export
 *   model.json       InferenceJob: the model part of the job (columns read, features, inputs, modules, tasks)
 *   features.json    the fitted transforms (statistics, vocabularies) and class names, as the run fitted them
 *   weights.json, weights.bin   the weights, in TensorFlow.js's weights-manifest format (model/weights.ts)
 *   tfjs/            a tf.LayersModel of the same network, when its layers are ones TensorFlow.js serialises
 *
 * Bump PACKAGE_VERSION on any change a reader of the previous version would misread.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import AjvModule from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import {
  ColumnPlanSchema,
  ColumnTypeSchema,
  ExprSchema,
  FeaturePlanSchema,
  HEAD_KINDS,
  InputPlanSchema,
  JOB_VERSION,
  ModulePlanSchema,
  REFERENCED_SCHEMAS,
  TaskPlanSchema,
} from '../../job/job.js';
import type { FittedFeatures } from '../data/api.js';
import { UserError } from '../errors.js';

export const PACKAGE_FORMAT = 'mtl-model';
export const PACKAGE_VERSION = 1;

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILE = 'model.json';
export const FITTED_FILE = 'features.json';
/** The tf.LayersModel's directory, and its topology file inside it (its weights are `weights.bin` beside it). */
export const LAYERS_MODEL_DIR = 'tfjs';

const object = <T extends Record<string, TSchema>>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The model part of a job: buildModel reads inputs, modules and tasks; the encoders read features and the columns. */
export const InferenceJobSchema = object({
  jobVersion: Type.Literal(JOB_VERSION),
  datasets: Type.Array(object({ name: Type.String(), columns: Type.Array(ColumnPlanSchema, { description: 'the columns its features read, with their types' }) })),
  features: Type.Array(FeaturePlanSchema),
  inputs: Type.Array(InputPlanSchema),
  modules: Type.Array(ModulePlanSchema),
  tasks: Type.Array(TaskPlanSchema),
});
export type InferenceJob = Static<typeof InferenceJobSchema>;

export const OutputColumnSchema = object({
  name: Type.String({ description: '`<task>.<output>`: `income.probability`, `education.class`' }),
  type: Type.Union([Type.Literal('float32'), Type.Literal('utf8')]),
});
export type OutputColumn = Static<typeof OutputColumnSchema>;

export const PackageTaskSchema = object({
  name: Type.String(),
  head: Type.Union(HEAD_KINDS.map((k) => Type.Literal(k))),
  units: Type.Integer(),
  target: Type.Ref(ExprSchema, { description: 'what it predicts, as the program wrote its label' }),
  input: Type.String({ description: 'the model input it reads; tasks of one input share one backbone pass' }),
  columns: Type.Array(Type.String(), { description: 'the input columns a row needs for this task' }),
  classes: nullable(Type.Array(Type.String(), { description: 'multiclass and multilabel: the name of each unit' })),
  outputs: Type.Array(OutputColumnSchema),
});
export type PackageTask = Static<typeof PackageTaskSchema>;

export const NumericDistributionSchema = object({
  kind: Type.Literal('numeric'),
  rows: Type.Integer(),
  mean: Type.Number(),
  std: Type.Number(),
  min: Type.Number(),
  max: Type.Number(),
  quantiles: Type.Record(Type.String(), Type.Number(), { description: 'by level: "0.01" … "0.99"' }),
  histogram: object({ edges: Type.Array(Type.Number()), counts: Type.Array(Type.Integer()) }, 'counts[i] rows fall in [edges[i], edges[i+1]) (the last bin includes its upper edge)'),
});
export const ClassDistributionSchema = object({
  kind: Type.Literal('classes'),
  rows: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer()),
});
export const DistributionSchema = Type.Union([NumericDistributionSchema, ClassDistributionSchema]);
export type NumericDistribution = Static<typeof NumericDistributionSchema>;
export type ClassDistribution = Static<typeof ClassDistributionSchema>;
export type Distribution = Static<typeof DistributionSchema>;

export const PackageManifestSchema = object({
  format: Type.Literal(PACKAGE_FORMAT),
  version: Type.Integer(),
  name: Type.String(),
  id: Type.String({ description: 'unique per export: the created time and a hash of the model, features and weights' }),
  created: Type.String({ description: 'ISO 8601' }),
  mtl: Type.String({ description: 'the mtl version that wrote it' }),
  source: object({
    run: Type.String({ description: 'the run directory it was exported from' }),
    program: Type.String(),
    programSha256: Type.String(),
    jobSha256: Type.String({ description: 'of the run\'s job.json' }),
  }),
  backend: Type.String({ description: 'the backend the validation predictions were computed on' }),
  batchSize: Type.Integer({ description: 'the job\'s batch size: `mtl predict`\'s default' }),
  inputSchema: object({ columns: Type.Array(object({ name: Type.String(), type: ColumnTypeSchema })) }),
  tasks: Type.Array(PackageTaskSchema),
  validation: object({
    split: Type.Literal('valid'),
    epoch: nullable(Type.Integer({ description: 'the selected epoch, whose weights these are' })),
    metrics: Type.Record(Type.String(), Type.Record(Type.String(), nullable(Type.Number())), { description: 'per task, from the run\'s summary.json' }),
    distributions: Type.Record(Type.String(), DistributionSchema, { description: 'per output column, of the predictions on the validation split' }),
  }),
  layersModel: Type.Union([object({ path: Type.String() }), object({ why: Type.String({ description: 'why no tf.LayersModel was written' }) })]),
});
export type PackageManifest = Static<typeof PackageManifestSchema>;

/** A package in memory: what loadModel builds a model from, read from a package directory or assembled from a run. */
export interface ModelPackage {
  readonly manifest: PackageManifest;
  readonly model: InferenceJob;
  readonly fitted: FittedFeatures;
  /** The directory holding weights.json and weights.bin. */
  readonly weightsDir: string;
}

type AjvClass = typeof AjvModule.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvClass }).default ?? Ajv2020Module) as unknown as AjvClass;
let ajv: InstanceType<AjvClass> | null = null;

/** Problems with `value` against `schema`, as "path message" lines (at most 8). */
export function schemaProblems(schema: TSchema, value: unknown): string[] {
  ajv ??= new Ajv2020({ allErrors: true, strict: false, schemas: REFERENCED_SCHEMAS.map((s) => JSON.parse(JSON.stringify(s)) as object) });
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema)) as object);
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

async function readJson(dir: string, file: string): Promise<unknown> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path} does not exist: is ${dir} a model package (from \`mtl export\`)?` : `${path} cannot be read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

function checked<T>(schema: TSchema, value: unknown, path: string): T {
  const problems = schemaProblems(schema, value);
  if (problems.length > 0) throw new UserError(`${path} is not what this mtl writes:\n  ${problems.join('\n  ')}`);
  return value as T;
}

/** The manifest of the package in `dir`; a UserError for another format, an unknown version or a malformed file. */
export async function readManifest(dir: string): Promise<PackageManifest> {
  const path = join(dir, MANIFEST_FILE);
  const value = await readJson(dir, MANIFEST_FILE);
  const header = (value ?? {}) as { format?: unknown; version?: unknown };
  if (typeof value !== 'object' || value === null || header.format !== PACKAGE_FORMAT) {
    throw new UserError(`${path} is not an mtl model package manifest (its "format" is ${JSON.stringify(header.format)}, expected "${PACKAGE_FORMAT}")`);
  }
  if (header.version !== PACKAGE_VERSION) {
    const newer = typeof header.version === 'number' && header.version > PACKAGE_VERSION;
    throw new UserError(
      `${path}: the package is format version ${JSON.stringify(header.version)}; this mtl reads version ${PACKAGE_VERSION}` +
        (newer ? ': it was written by a newer mtl, upgrade mtl to load it' : ': export the run again with this mtl (`mtl export RUN_DIR -o DIR`)'),
    );
  }
  return checked<PackageManifest>(PackageManifestSchema, value, path);
}

/** The package in `dir`, every file checked (the weights are checked against the model when loaded). */
export async function readPackage(dir: string): Promise<ModelPackage> {
  const manifest = await readManifest(dir);
  const model = checked<InferenceJob>(InferenceJobSchema, await readJson(dir, MODEL_FILE), join(dir, MODEL_FILE));
  const fitted = (await readJson(dir, FITTED_FILE)) as FittedFeatures;
  if (typeof fitted !== 'object' || fitted === null || typeof fitted.features !== 'object' || typeof fitted.classes !== 'object') {
    throw new UserError(`${join(dir, FITTED_FILE)} is not a fitted-features file (expected an object with features and classes)`);
  }
  return { manifest, model, fitted, weightsDir: dir };
}

/**
 * The published JSON Schema of a job (written to docs/job.schema.json by `npm run schema`), and its validator.
 * It mirrors job.ts; the schema test compiles every example and validates the result, so the two cannot drift silently.
 */
import AjvModule from 'ajv';
import { JOB_FORMAT, JOB_VERSION } from './job.js';

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const arr = (items: object) => ({ type: 'array', items });
const obj = (properties: Record<string, object>, required = Object.keys(properties)) => ({ type: 'object', properties, required, additionalProperties: false });
const kind = (k: string, properties: Record<string, object> = {}) => obj({ kind: { const: k }, ...properties });
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const ref = (name: string) => ({ $ref: `#/$defs/${name}` });

export const jobSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://mtl.dev/schema/job-v${JOB_VERSION}.json`,
  title: 'mtl job',
  description: 'A compiled multi-task learning plan, executed by the mtl runtime.',
  ...obj({
    format: { const: JOB_FORMAT },
    version: { const: JOB_VERSION },
    source: obj({ file: str, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } }),
    root: str,
    datasets: arr(ref('dataset')),
    features: arr(ref('feature')),
    inputs: arr(ref('input')),
    modules: arr(ref('module')),
    tasks: arr(ref('task')),
    batchGroups: arr(obj({ dataset: str, input: str, tasks: arr(str) })),
    training: ref('training'),
  }),
  $defs: {
    width: { anyOf: [int, obj({ vocab: str }), obj({ sum: arr(ref('width')) })] },
    columnType: { enum: ['float', 'int', 'string', 'bool', 'list<float>', 'list<int>', 'list<string>', 'list<bool>'] },
    dataset: obj({
      name: str, files: arr(str), columns: arr(obj({ name: str, type: ref('columnType') })),
      split: { oneOf: [kind('ratio', { train: num, valid: num, test: num, seed: int }), kind('column', { column: str, train: str, valid: str, test: str })] },
    }),
    transform: {
      oneOf: [
        kind('standardize'), kind('normalize'), kind('raw'),
        kind('onehot', { maxVocab: int, minCount: int }),
        kind('embedding', { dim: int, maxVocab: int, minCount: int }),
        kind('tokens', { maxLength: int, maxVocab: int, minCount: int, lowercase: bool }),
        kind('image', { shape: arr(int), scale: num, mean: num, std: num }),
      ],
    },
    feature: obj({ id: str, dataset: str, column: str, transform: ref('transform'), shape: arr(ref('width')) }),
    input: obj({ id: str, dataset: str, features: arr(str), kind: { enum: ['vector', 'sequence', 'image'] }, shape: arr(ref('width')) }),
    activation: { enum: ['relu', 'tanh', 'sigmoid', 'gelu', 'linear', 'softmax'] },
    layer: {
      oneOf: [
        kind('dense', { units: int, activation: ref('activation'), dropout: num }),
        kind('embedding', { dim: int, vocab: ref('width') }),
        kind('conv2d', { filters: int, kernel: int, stride: int, activation: ref('activation') }),
        kind('pool', { op: { enum: ['max', 'mean'] }, size: int }),
        kind('flatten'),
        kind('lstm', { units: int, bidirectional: bool }),
        kind('transformer', { dim: int, heads: int, ff: int, dropout: num }),
        kind('mixture', { experts: arr(str), gate: str }),
      ],
    },
    sharing: {
      oneOf: [
        kind('hard'),
        kind('cross_stitch', { columns: arr(str), after: arr(int), init: num }),
        kind('adapters', { size: int, tasks: arr(str) }),
        kind('soft', { columns: arr(str), l2: num }),
        kind('mmoe', { experts: arr(str), gates: { type: 'object', additionalProperties: str } }),
      ],
    },
    module: obj({ id: str, backbone: nullable(str), from: str, layers: arr(ref('layer')), shapes: arr(arr(ref('width'))), tasks: arr(str), sharing: ref('sharing') }),
    // Branches chosen by `op` before any recursion: with `anyOf`, every branch validated the operands again, so
    // validating an expression took time exponential in its depth (a sum of 16 terms took minutes).
    expr: {
      if: { type: 'object', required: ['op'] },
      then: {
        if: { properties: { op: { enum: ['==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', 'and', 'or'] } } },
        then: obj({ op: { enum: ['==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', 'and', 'or'] }, args: { type: 'array', prefixItems: [ref('expr'), ref('expr')], minItems: 2, maxItems: 2 } }),
        else: {
          if: { properties: { op: { enum: ['not', 'neg'] } } },
          then: obj({ op: { enum: ['not', 'neg'] }, args: { type: 'array', prefixItems: [ref('expr')], minItems: 1, maxItems: 1 } }),
          else: obj({ op: { const: 'in' }, args: { type: 'array', prefixItems: [ref('expr'), arr(ref('expr'))], minItems: 2, maxItems: 2 } }),
        },
      },
      else: { anyOf: [obj({ col: str }), obj({ lit: { type: ['number', 'string', 'boolean', 'null'] } })] },
    },
    task: obj({
      name: str, dataset: str, input: str, from: nullable(str), target: ref('expr'), targetType: ref('columnType'),
      head: obj({ kind: { enum: ['binary', 'multiclass', 'multilabel', 'regression', 'tagging', 'span', 'dense'] }, units: ref('width'), classes: { enum: ['index', 'vocab'] } }),
      loss: { enum: ['bce', 'ce', 'mse', 'mae', 'huber'] },
      metrics: arr({ enum: ['auc', 'accuracy', 'macro_f1', 'logloss', 'mse', 'mae'] }),
      weight: num,
    }),
    schedule: {
      oneOf: [
        kind('constant', { lr: num }), kind('step', { lr: num, every: int, gamma: num }),
        kind('cosine', { lr: num, warmup: int, min: num }), kind('linear', { lr: num, warmup: int, end: num }),
      ],
    },
    sampling: {
      oneOf: [
        kind('uniform'), kind('proportional'), kind('temperature', { t: num, cap: nullable(num) }),
        kind('explicit', { probs: { type: 'object', additionalProperties: num } }),
        kind('scheduled', { phases: arr(obj({ until: nullable(int), sampling: ref('sampling') })) }),
      ],
    },
    training: obj({
      optimizer: {
        oneOf: [
          kind('adam', { lr: ref('schedule'), beta1: num, beta2: num, epsilon: num, weightDecay: num }),
          kind('sgd', { lr: ref('schedule'), momentum: num, weightDecay: num }),
        ],
      },
      taskLr: { type: 'object', additionalProperties: num },
      batchSize: int, seed: int,
      sampling: ref('sampling'),
      weighting: { oneOf: [kind('equal'), kind('static'), kind('uncertainty'), kind('dwa', { t: num }), kind('gradnorm', { alpha: num })] },
      aggregation: { oneOf: [kind('sum'), kind('pcgrad'), kind('cagrad', { c: num }), kind('mgda')] },
      stages: arr(obj({ tasks: arr(str), frozen: arr(str), epochs: nullable(int), steps: nullable(int) })),
      selection: obj({ metric: { enum: ['loss', 'auc', 'accuracy', 'macro_f1', 'logloss', 'mse', 'mae'] }, task: str, mode: { enum: ['max', 'min'] }, patience: nullable(int) }),
      evalEvery: int, shuffleBuffer: int,
    }),
  },
} as const;

// ajv's 2020-12 build, loaded the way its CommonJS default export works from ESM.
import Ajv2020Module from 'ajv/dist/2020.js';
type AjvClass = typeof AjvModule.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvClass }).default ?? Ajv2020Module) as unknown as AjvClass;
let validator: ReturnType<InstanceType<AjvClass>['compile']> | null = null;

/** Problems with a job value, as "path: message" lines; empty when it is valid. */
export function validateJob(value: unknown): string[] {
  validator ??= new Ajv2020({ allErrors: true, strict: false }).compile(jobSchema);
  if (validator(value)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

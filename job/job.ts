/**
 * The job: the versioned, JSON-serializable plan that `mtl compile` emits and the runtime executes — the only contract
 * between the two. It holds everything the runtime needs, resolved: file lists, column types, transform specs, the
 * module graph with shapes, tasks with their label expressions, and the training plan.
 *
 * Defined once, as TypeBox schemas: the TypeScript types are derived from them (`Static`), and the JSON Schema
 * written to `docs/job.schema.json` by `npm run build` is the same objects written out. Every reference between
 * parts of a job is a typed field (`SourceRef`, `Width`), never a string with a naming convention.
 * Bump JOB_VERSION (in names.ts) on any incompatible change; `parseJob` says what to do with an older job.
 *
 * The lists of names the compiler reads as values (metric kinds, selection metrics, ...) live in names.ts, which
 * imports no TypeBox, and are re-exported here: `mtl check` and `mtl compile` read them without building the schemas.
 */
import { Type, type Static, type TSchema, type TProperties, type TLiteral, type TUnion, type TObject } from '@sinclair/typebox';
import { JOB_FORMAT, JOB_VERSION, METRIC_KINDS, UNCERTAINTY_FORMS, GRADIENTS_OF, SELECTION_METRICS, ACCEPTANCE_SPLITS } from './names.js';

export * from './names.js';

const object = <T extends TProperties>(properties: T, description?: string): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const kind = <K extends string, T extends TProperties = {}>(k: K, properties?: T): TObject<{ kind: TLiteral<K> } & T> =>
  object({ kind: Type.Literal(k), ...(properties ?? {}) } as { kind: TLiteral<K> } & T);
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const int = (description?: string) => Type.Integer(description ? { description } : {});
const num = (description?: string) => Type.Number(description ? { description } : {});
const str = (description?: string) => Type.String(description ? { description } : {});
const enumOf = <const V extends readonly string[]>(values: V, description?: string): TUnion<TLiteral<V[number]>[]> =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {}) as never;

// ---------------------------------------------------------------- data

export const COLUMN_TYPES = ['float', 'int', 'string', 'bool', 'list<float>', 'list<int>', 'list<string>', 'list<bool>'] as const;
export const ColumnTypeSchema = enumOf(COLUMN_TYPES);
export type ColumnType = Static<typeof ColumnTypeSchema>;

export const ColumnPlanSchema = object({ name: str(), type: ColumnTypeSchema });
export type ColumnPlan = Static<typeof ColumnPlanSchema>;

export const SplitPlanSchema = Type.Union([
  kind('ratio', { train: num(), valid: num(), test: num(), seed: int() }),
  kind('column', { column: str(), train: str(), valid: str(), test: str() }),
  kind('files', {
    train: Type.Array(str(), { description: 'files of the dataset (as `files` names them) whose rows train' }),
    valid: Type.Array(str(), { description: 'files whose rows validate (model selection); may also be test files' }),
    test: Type.Array(str(), { description: 'files whose rows are held out for testing' }),
  }),
], { description: 'ratio: rows go to splits by a seeded hash of their row index; column: by the value of a string column; files: by the file they are in (a file in no split is not read for any)' });
export type SplitPlan = Static<typeof SplitPlanSchema>;

export const DatasetPlanSchema = object({
  name: str(),
  files: Type.Array(str(), { description: 'files in read order (globs expanded and sorted), relative to `root`' }),
  columns: Type.Array(ColumnPlanSchema, { description: 'the columns the program reads, with their types; checked against the Arrow schema' }),
  split: SplitPlanSchema,
});
export type DatasetPlan = Static<typeof DatasetPlanSchema>;

// ---------------------------------------------------------------- sizes and references

/**
 * A size known at compile time, or one the runtime learns from the training split: the size of a feature's
 * vocabulary, the number of classes a task's target takes, or a sum of widths (an input concatenating features).
 */
export const WidthSchema = Type.Recursive((Self) => Type.Union([
  Type.Integer(),
  object({ vocab: str('a feature id') }),
  object({ suffixes: str('a tokens feature id: the length of its suffix vocabulary') }),
  object({ classes: str('a task name') }),
  object({ sum: Type.Array(Self) }),
]), { $id: 'Width' });
export type Width = Static<typeof WidthSchema>;
const WidthRef = Type.Ref(WidthSchema);

/** What a module or a head reads: a model input, or the output of one layer of a module. */
export const SourceRefSchema = Type.Union([
  object({ input: str('an input id') }),
  object({ module: str('a module id'), layer: int('0-based layer index within the module') }),
]);
export type SourceRef = Static<typeof SourceRefSchema>;

// ---------------------------------------------------------------- features

export const TransformPlanSchema = Type.Union([
  kind('standardize'),
  kind('normalize'),
  kind('raw'),
  kind('onehot', { maxVocab: int(), minCount: int() }),
  kind('embedding', { dim: int(), maxVocab: int(), minCount: int() }),
  kind('tokens', {
    maxLength: int(), maxVocab: int(), minCount: int(), lowercase: Type.Boolean(),
    // Optional so that jobs written before them keep their meaning: absent is 0 and false (word ids only). The
    // compiler always writes them. With either on, each position holds the word id, then its suffix ids, then its shape id.
    suffixes: Type.Optional(int('ids of the last 1 … suffixes characters of each token (lowercased), from a suffix vocabulary fitted like the words\'; 0: none')),
    shape: Type.Optional(Type.Boolean({ description: 'an id of each token\'s shape (capitalisation, digits, punctuation), taken before lowercasing' })),
  }),
  kind('image', {
    shape: Type.Array(int(), { description: 'height, width, channels (channels last); the column holds height·width·channels numbers per row, row-major' }),
    scale: num(), mean: num(), std: num(),
    // Optional so that jobs written before it keep their meaning: absent is 'none' (pixel · scale − mean) / std.
    normalize: Type.Optional(enumOf(['per_channel', 'none'] as const, "'per_channel': after (pixel · scale − mean) / std, each channel standardized by its mean and standard deviation over the training split")),
  }),
]);
export type TransformPlan = Static<typeof TransformPlanSchema>;
export type TransformKind = TransformPlan['kind'];

export const FeaturePlanSchema = object({
  id: str('unique; identical transforms of one column are one feature'),
  dataset: str(),
  column: str(),
  transform: TransformPlanSchema,
  shape: Type.Array(WidthRef, { description: 'per-row output shape: [width] for vectors, [maxLength] for token ids ([maxLength, ids per token] with suffixes or shapes), the image shape for images' }),
});
export type FeaturePlan = Static<typeof FeaturePlanSchema>;

export const InputPlanSchema = object({
  id: str(),
  dataset: str(),
  features: Type.Array(str(), { description: 'feature ids, concatenated along the last axis in this order' }),
  kind: enumOf(['vector', 'sequence', 'image'] as const, "'vector': [batch, width]; 'sequence': [batch, length] token ids ([batch, length, ids per token] with suffixes or shapes); 'image': [batch, ...shape]"),
  shape: Type.Array(WidthRef),
  // Optional so that jobs written before it keep their meaning: absent is false. A hint, not a layout: a runtime that
  // ignores it feeds the one-hot vector, which the dense layers multiply to the same sums.
  lookup: Type.Optional(Type.Boolean({ description: 'set by the onehot-lookup pass: every reader of this vector input is a dense layer, so the runtime may feed its one-hot features as the row ids of the kernel they select (an embedding bag) instead of one-hot blocks' })),
}, 'the tensor a model reads');
export type InputPlan = Static<typeof InputPlanSchema>;

// ---------------------------------------------------------------- model

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'gelu', 'linear', 'softmax'] as const;
export const ActivationSchema = enumOf(ACTIVATIONS);
export type Activation = Static<typeof ActivationSchema>;

export const LayerPlanSchema = Type.Union([
  kind('dense', { units: int(), activation: ActivationSchema, dropout: num() }),
  kind('embedding', {
    dim: int(), vocab: WidthRef, wordDropout: num('while training, the share of tokens read as the unknown token (id 1) instead: word dropout'),
    // Optional so that jobs written before it stay valid: absent reads word ids alone.
    subwords: Type.Optional(object({
      suffixLengths: int('suffix ids per token, after its word id: of its last 1 … suffixLengths characters'),
      suffixVocab: WidthRef,
      shape: Type.Boolean({ description: 'a shape id per token, after its suffix ids' }),
    }, 'a tokens feature\'s suffix and shape ids: each token\'s vector is the sum of its word\'s, its suffixes\' and its shape\'s embeddings')),
  }),
  kind('conv2d', { filters: int(), kernel: int(), stride: int(), activation: ActivationSchema }),
  kind('pool', { op: enumOf(['max', 'mean'] as const), size: int('0 pools a whole sequence to one vector') }),
  kind('sequence_pool', { op: enumOf(['mean', 'max', 'first'] as const, 'over the tokens of each row (the padding mask), to one vector') }),
  kind('flatten'),
  kind('lstm', { units: int(), bidirectional: Type.Boolean() }),
  kind('positions', {
    encoding: enumOf(['learned', 'sinusoidal'] as const, 'learned: a trained vector per position, added; sinusoidal: the input times √width plus Vaswani et al.\'s sines and cosines'),
    dropout: num('dropout on the sum while training'),
  }),
  kind('transformer', {
    dim: int(), heads: int(), ff: int(), dropout: num(),
    window: int('0: a token attends to every token; k: only to those at most k positions away'),
    norm: enumOf(['pre', 'post'] as const, 'layer normalisation before each sub-layer (inside the residual) or after each residual sum'),
    finalNorm: Type.Boolean({ description: 'a layer normalisation of its output (the last layer of a pre-norm encoder)' }),
  }),
  kind('mixture', { experts: Type.Array(str('a module id')), gate: str('a module id') }),
  kind('point', { init: Type.Array(num(), { description: 'the initial value of the learned point; every row gets the point, whatever its input' }) }),
  // Image layers (cnn): a feature map is [height, width, channels] per row.
  kind('pool2d', { op: enumOf(['max', 'mean'] as const), size: int('a size×size window, moved by its size; rows and columns left over are dropped') }),
  kind('batch_norm', {
    momentum: num('moving statistics ← momentum · moving + (1 − momentum) · the batch\'s, at each training forward pass'),
    epsilon: num(),
    activation: ActivationSchema,
  }),
  kind('dropout', { rate: num('a share of values zeroed while training (the rest scaled by 1/(1 − rate))') }),
  // A sparse mixture of experts: a softmax router over the experts from the input, each row through its top-k experts,
  // their outputs weighted by the router probabilities renormalised over the k (runtime/model/layers/moe.ts).
  kind('moe', {
    experts: int('how many copies of the expert'),
    topK: int('experts each row is routed to'),
    capacity: num('capacity factor: in training each expert takes at most ceil(capacity · topK · batch / experts) rows of a batch, in row order'),
    balance: num('weight of the load-balancing loss (Fedus et al. 2021): balance · experts · Σ_e f_e · P_e'),
    expert: Type.Array(kind('dense', { units: int(), activation: ActivationSchema, dropout: num() }), { description: 'the layers of each expert' }),
  }),
]);
export type LayerPlan = Static<typeof LayerPlanSchema>;
export type LayerKind = LayerPlan['kind'];

/** One extraction level of CGC/PLE (Tang et al. 2020): shared experts, each task's own experts, each task's gate over both. */
const ExtractionLevelFields = {
  shared: Type.Array(str('a module id')),
  experts: Type.Record(Type.String(), Type.Array(str('a module id')), { description: 'each task\'s own experts' }),
  gates: Type.Record(Type.String(), str('a module id')),
};

export const SharingPlanSchema = Type.Union([
  kind('hard'),
  kind('cross_stitch', { columns: Type.Array(str('a module id')), after: Type.Array(int()), init: num() }),
  kind('adapters', { size: int(), tasks: Type.Array(str('a task name')) }),
  kind('soft', { columns: Type.Array(str('a module id')), l2: num() }),
  kind('mmoe', { experts: Type.Array(str('a module id')), gates: Type.Record(Type.String(), str('a module id')) }),
  kind('cgc', ExtractionLevelFields),
  kind('ple', {
    levels: Type.Array(object({
      ...ExtractionLevelFields,
      sharedGate: nullable(str('the gate over every expert of the level, whose mixture the next level\'s shared experts read; null at the last level')),
    })),
  }),
  kind('lora', { rank: int('R: the low-rank update of each dense layer is (alpha / R) · A · B, A [in, R], B [R, out]'), alpha: num(), tasks: Type.Array(str('a task name')) }),
  kind('mtan', { tasks: Type.Array(str('a task name'), { description: 'the tasks with attention modules over the shared module\'s blocks' }) }),
], { description: 'how a module is shared: by the graph alone (hard), or by a scheme with parameters or a penalty of its own' });
export type SharingPlan = Static<typeof SharingPlanSchema>;
export type SharingKind = SharingPlan['kind'];

export const ModulePlanSchema = object({
  id: str('unique; its layers are addressed as { module, layer }'),
  backbone: nullable(str('the named backbone it instantiates, for messages')),
  share: nullable(str('the share it belongs to (a column, expert or gate of it), or null')),
  from: Type.Array(SourceRefSchema, {
    description: 'what it reads; several sources (inputs of different datasets) when tasks on several datasets share it: one set of parameters, applied to whichever source a batch provides; none when its first layer is a mixture, which reads its experts and gate',
  }),
  layers: Type.Array(LayerPlanSchema),
  shapes: Type.Array(Type.Array(WidthRef), { description: 'output shape of each layer, without the batch axis' }),
  tasks: Type.Array(str(), { description: 'tasks whose gradients flow into its parameters' }),
  sharing: SharingPlanSchema,
});
export type ModulePlan = Static<typeof ModulePlanSchema>;

// ---------------------------------------------------------------- tasks

export const BINARY_OPS = ['==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', 'and', 'or'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/** A label expression over one row's columns; null in, null out (the row is masked for the task). */
export type Expr =
  | { col: string }
  | { lit: number | string | boolean | null }
  | { op: BinaryOp; args: [Expr, Expr] }
  | { op: 'not' | 'neg'; args: [Expr] }
  | { op: 'in'; args: [Expr, Expr[]] };

// Branches chosen by `op` before any recursion: with `anyOf`, every branch validated the operands again, so
// validating an expression took time exponential in its depth (a sum of 16 terms took minutes). TypeBox has no
// if/then/else builder that keeps the recursion, so this one schema is written out and typed by `Expr` above.
export const ExprSchema = Type.Unsafe<Expr>({
  $id: 'Expr',
  if: { type: 'object', required: ['op'] },
  then: {
    if: { properties: { op: { enum: [...BINARY_OPS] } } },
    then: { type: 'object', additionalProperties: false, required: ['op', 'args'], properties: { op: { enum: [...BINARY_OPS] }, args: { type: 'array', prefixItems: [{ $ref: 'Expr' }, { $ref: 'Expr' }], minItems: 2, maxItems: 2 } } },
    else: {
      if: { properties: { op: { enum: ['not', 'neg'] } } },
      then: { type: 'object', additionalProperties: false, required: ['op', 'args'], properties: { op: { enum: ['not', 'neg'] }, args: { type: 'array', prefixItems: [{ $ref: 'Expr' }], minItems: 1, maxItems: 1 } } },
      else: { type: 'object', additionalProperties: false, required: ['op', 'args'], properties: { op: { const: 'in' }, args: { type: 'array', prefixItems: [{ $ref: 'Expr' }, { type: 'array', items: { $ref: 'Expr' } }], minItems: 2, maxItems: 2 } } },
    },
  },
  else: {
    anyOf: [
      { type: 'object', additionalProperties: false, required: ['col'], properties: { col: { type: 'string' } } },
      { type: 'object', additionalProperties: false, required: ['lit'], properties: { lit: { type: ['number', 'string', 'boolean', 'null'] } } },
    ],
  },
});

export const HEAD_KINDS = ['binary', 'multiclass', 'multilabel', 'regression', 'tagging', 'span', 'dense', 'objective'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];
/** `toy_f1`, `toy_f2`: analytic objectives of the head's input (an `objective` head), which read no label. */
export const LOSS_KINDS = ['bce', 'ce', 'mse', 'mae', 'huber', 'toy_f1', 'toy_f2'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];
export type MetricKind = (typeof METRIC_KINDS)[number];

export const HeadPlanSchema = object({
  kind: enumOf(HEAD_KINDS),
  units: WidthRef,
  classes: enumOf(['index', 'vocab'] as const, "'vocab': class names come from the training split's target values"),
  // Optional so that the other heads' plans stay as they were; a span head's always has it.
  maxLength: Type.Optional(int('a span head: the most tokens a predicted span covers')),
});
export type HeadPlan = Static<typeof HeadPlanSchema>;

export const TaskPlanSchema = object({
  name: str(),
  dataset: str(),
  input: str('the input its batches provide'),
  from: SourceRefSchema,
  target: Type.Ref(ExprSchema, { description: 'the label of each row; an objective head reads no label, and its task carries the constant 0 (`{ lit: 0 }`)' }),
  targetType: ColumnTypeSchema,
  head: HeadPlanSchema,
  loss: enumOf(LOSS_KINDS),
  metrics: Type.Array(enumOf(METRIC_KINDS)),
  weight: num(),
  // Optional so that jobs written before it stay valid: absent keeps every label. Derived scarcity variants write it.
  trainLabels: Type.Optional(object({
    fraction: num('the share of the training split\'s rows whose label this task keeps'),
    seed: int('the rows kept are those whose seeded hash of (seed, task name, row index) falls below the fraction'),
  }, 'labels kept on the training split (`mtl run --ablate scarcity`): the rest of its rows are masked for this task')),
  // Task dependencies (ESMM). Optional so that jobs written before them stay valid: absent is none.
  reads: Type.Optional(Type.Array(str('a task name'), {
    description: "tasks whose predictions (of the same batch's rows, gradients flowing into them) its head reads after what reaches it, concatenated in this order",
  })),
  product: Type.Optional(Type.Array(str('a task name'), {
    description: "its prediction is the product of these tasks' predictions (binary: probabilities; regression: values), and its loss trains them through it; it has no head parameters, and `from` is its input",
  })),
});
export type TaskPlan = Static<typeof TaskPlanSchema>;

export const BatchGroupPlanSchema = object({ dataset: str(), input: str(), tasks: Type.Array(str()) }, 'tasks that read one input of one dataset share each batch: one backbone pass serves them all');
export type BatchGroupPlan = Static<typeof BatchGroupPlanSchema>;

// ---------------------------------------------------------------- training

export const SchedulePlanSchema = Type.Union([
  kind('constant', { lr: num() }),
  kind('step', { lr: num(), every: int(), gamma: num() }),
  kind('cosine', { lr: num(), warmup: int(), min: num() }),
  kind('linear', { lr: num(), warmup: int(), end: num() }),
]);
export type SchedulePlan = Static<typeof SchedulePlanSchema>;
export type ScheduleKind = SchedulePlan['kind'];

/** What every optimizer does to the gradients before its update. */
const gradientOptions = {
  clipNorm: nullable(num('scale the step\'s gradients by clipNorm/(norm + 1e-6) when their global L2 norm is above it (torch.nn.utils.clip_grad_norm_); null never clips')),
  normalizeTaskGradients: Type.Boolean({ description: 'divide each task\'s gradient of the shared parameters by its L2 norm before the aggregation combines them (every step per task)' }),
};

export const OptimizerPlanSchema = Type.Union([
  kind('adam', { lr: SchedulePlanSchema, beta1: num(), beta2: num(), epsilon: num(), weightDecay: num(), ...gradientOptions }),
  kind('sgd', { lr: SchedulePlanSchema, momentum: num(), weightDecay: num(), ...gradientOptions }),
]);
export type OptimizerPlan = Static<typeof OptimizerPlanSchema>;
export type OptimizerKind = OptimizerPlan['kind'];

export const SamplingPlanSchema = Type.Recursive((Self) => Type.Union([
  kind('uniform'),
  kind('proportional'),
  kind('temperature', { t: num(), cap: nullable(num()) }),
  kind('explicit', { probs: Type.Record(Type.String(), num()) }),
  kind('scheduled', { phases: Type.Array(object({ until: nullable(int()), sampling: Self })) }),
]), { $id: 'Sampling' });
export type SamplingPlan = Static<typeof SamplingPlanSchema>;
export type SamplingKind = SamplingPlan['kind'];

export const WeightingPlanSchema = Type.Union([
  kind('equal'),
  kind('static'),
  kind('uncertainty', { form: enumOf(UNCERTAINTY_FORMS, "Kendall et al.'s term per task: regression e^{-s}L + s (their L/(2σ²) + log σ, times 2), classification e^{-s}L + s/2 (L/σ² + log σ), by_head each head's own") }),
  kind('dwa', { t: num() }),
  kind('gradnorm', { alpha: num(), lr: num() }),
  kind('rlw'),
  kind('famo', { lr: num(), gamma: num() }),
  kind('db_mtl', { beta: num(), betaSigma: num() }),
]);
export type WeightingPlan = Static<typeof WeightingPlanSchema>;
export type WeightingKind = WeightingPlan['kind'];

/**
 * What an aggregation's task gradients are taken of: the shared parameters, or the shared representation (the output of
 * the one trunk every task reads, on the batch's rows), whose weights then go into one backward pass through the trunk.
 * Only the kinds whose paper has a representation form carry `on` (MGDA-UB is `mgda` on the representation).
 */
// Optional so that version-2 jobs written before it stay valid: absent is 'parameters'. The compiler always writes it.
const gradientsOf = { on: Type.Optional(enumOf(GRADIENTS_OF, "'representation': the task gradients of the shared trunk's output, weighed, then one backward pass through the trunk")) };
export type GradientsOf = (typeof GRADIENTS_OF)[number];

export const AggregationPlanSchema = Type.Union([
  kind('sum'),
  kind('pcgrad'),
  kind('cagrad', { c: num() }),
  kind('mgda', gradientsOf),
  kind('imtl_g', gradientsOf),
  kind('upgrad'),
  kind('aligned_mtl', gradientsOf),
  kind('nash_mtl', { updateWeightsEvery: int('solve for the weights every this many steps of the same tasks, reusing them between') }),
]);
export type AggregationPlan = Static<typeof AggregationPlanSchema>;
export type AggregationKind = AggregationPlan['kind'];
/** The aggregation kinds that have a representation form: their plan may say `on`. */
export type RepresentationKind = { [K in AggregationKind]: 'on' extends keyof Extract<AggregationPlan, { kind: K }> ? K : never }[AggregationKind];
/** Whether an aggregation plan takes the gradients of the shared representation. */
export const onRepresentation = (plan: AggregationPlan): boolean => 'on' in plan && plan.on === 'representation';

export const StagePlanSchema = object({
  tasks: Type.Array(str()),
  frozen: Type.Array(str('a module id'), { description: 'modules whose parameters do not change in this stage' }),
  epochs: nullable(int()),
  steps: nullable(int()),
});
export type StagePlan = Static<typeof StagePlanSchema>;

export type SelectionMetric = (typeof SELECTION_METRICS)[number];

export const SelectionObjectiveSchema = object({
  task: str(),
  metric: enumOf(SELECTION_METRICS),
  mode: enumOf(['max', 'min'] as const, 'whether higher or lower is better'),
}, "a task's selection metric: an axis of the Pareto set of epochs, and a term of a weighted score");
export type SelectionObjective = Static<typeof SelectionObjectiveSchema>;

const selectionCommon = {
  objectives: Type.Array(SelectionObjectiveSchema, { description: 'one per task, in task order' }),
  patience: nullable(int('stop after this many evaluations without improvement; null never stops early')),
};

export const SelectionPlanSchema = Type.Union([
  kind('best', {
    metric: enumOf(SELECTION_METRICS),
    task: str("a task name, or 'mean' over the tasks that report the metric"),
    mode: enumOf(['max', 'min'] as const),
    ...selectionCommon,
  }),
  kind('weighted', {
    weights: Type.Record(Type.String(), num(), {
      description: "per task, its weight in the score: the weighted mean of the objectives' signed relative changes since the first evaluation where all have a value",
    }),
    ...selectionCommon,
  }),
], { description: 'which evaluation keeps its weights (the best score; best: one metric, weighted: a weighted score over the objectives), and early stopping' });
export type SelectionPlan = Static<typeof SelectionPlanSchema>;

export const AcceptancePlanSchema = Type.Union([
  kind('no_regression', {
    maxDrop: num('the largest relative drop of a task\'s first metric (in the metric\'s own direction) against its single-task baseline'),
    split: enumOf(ACCEPTANCE_SPLITS),
  }),
], { description: 'when a multi-task program is accepted against the single-task baselines derived from it' });
export type AcceptancePlan = Static<typeof AcceptancePlanSchema>;

export const TrainingPlanSchema = object({
  optimizer: OptimizerPlanSchema,
  taskLr: Type.Record(Type.String(), num(), {
    description: 'learning-rate multipliers per task, for what serves that task alone: its head, the modules only it reads and its adapters',
  }),
  batchSize: int(),
  seed: int(),
  sampling: Type.Ref(SamplingPlanSchema),
  weighting: WeightingPlanSchema,
  aggregation: AggregationPlanSchema,
  stages: Type.Array(StagePlanSchema),
  selection: SelectionPlanSchema,
  evalEvery: int('evaluate on the validation split every this many epochs'),
  conflictsEvery: int('sample the cosine of every pair of task gradients on the shared parameters (on the shared representation when the aggregation is `on` it) every this many steps; 0 never samples'),
  shuffleBuffer: int(),
  // Optional so that jobs written before it stay valid: absent is no policy. The compiler always writes it.
  accept: Type.Optional(nullable(AcceptancePlanSchema)),
});
export type TrainingPlan = Static<typeof TrainingPlanSchema>;

// ---------------------------------------------------------------- the job

export const JobSchema = object({
  format: Type.Literal(JOB_FORMAT),
  version: Type.Literal(JOB_VERSION),
  source: object({ file: str('the program, relative to `root`'), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
  root: str('absolute directory every relative path in the job resolves against'),
  datasets: Type.Array(DatasetPlanSchema),
  features: Type.Array(FeaturePlanSchema),
  inputs: Type.Array(InputPlanSchema),
  modules: Type.Array(ModulePlanSchema),
  tasks: Type.Array(TaskPlanSchema),
  batchGroups: Type.Array(BatchGroupPlanSchema),
  training: TrainingPlanSchema,
});
export type Job = Static<typeof JobSchema>;

/** The schemas other schemas reach by `$ref`, published under `$defs`. */
export const REFERENCED_SCHEMAS = [WidthSchema, ExprSchema, SamplingPlanSchema] as const;

/**
 * The job: the versioned, JSON-serializable plan that `mtl compile` emits and the runtime executes.
 * It holds everything the runtime needs, resolved: file lists, column types, transform specs,
 * the module graph with shapes, tasks with their label expressions, and the training plan.
 * Symbolic widths (`{ vocab: featureId }`) are the only things resolved at run time, from the
 * training split. The JSON Schema published at `docs/job.schema.json` is generated from these types'
 * twin in `schema.ts`; bump JOB_VERSION on any incompatible change.
 */
export const JOB_FORMAT = 'mtl-job';
export const JOB_VERSION = 1;

export interface Job {
  format: typeof JOB_FORMAT;
  version: typeof JOB_VERSION;
  /** The program it was compiled from: path relative to `root`, and sha256 of its text. */
  source: { file: string; sha256: string };
  /** Absolute directory every relative path in this job resolves against (the program's own directory). */
  root: string;
  datasets: DatasetPlan[];
  features: FeaturePlan[];
  inputs: InputPlan[];
  modules: ModulePlan[];
  tasks: TaskPlan[];
  /** Tasks that read the same dataset share each batch: one backbone pass serves them all. */
  batchGroups: BatchGroupPlan[];
  training: TrainingPlan;
}

// ---------------------------------------------------------------- data

export type ColumnType = 'float' | 'int' | 'string' | 'bool' | 'list<float>' | 'list<int>' | 'list<string>' | 'list<bool>';

export interface ColumnPlan {
  name: string;
  type: ColumnType;
}

export type SplitPlan =
  /** Rows go to splits by a seeded hash of their row index: same seed, same split, whatever the batch size. */
  | { kind: 'ratio'; train: number; valid: number; test: number; seed: number }
  /** Rows go to splits by the value of a string column. */
  | { kind: 'column'; column: string; train: string; valid: string; test: string };

export interface DatasetPlan {
  name: string;
  /** Files in read order (globs already expanded and sorted), relative to `Job.root`. */
  files: string[];
  /** Columns the program reads, with the type it expects; the runtime checks the Arrow schema against them. */
  columns: ColumnPlan[];
  split: SplitPlan;
}

// ---------------------------------------------------------------- features

/**
 * A size known at compile time, or one the runtime learns from the training split:
 * `{ vocab: featureId }` is the size of that feature's vocabulary, `{ vocab: "task:NAME" }` the number of classes
 * task NAME's target takes in the training split, `{ sum: [...] }` the sum of widths (an input that concatenates
 * one-hot features).
 */
export type Width = number | { vocab: string } | { sum: Width[] };

export type TransformPlan =
  | { kind: 'standardize' }
  | { kind: 'normalize' }
  | { kind: 'raw' }
  | { kind: 'onehot'; maxVocab: number; minCount: number }
  | { kind: 'embedding'; dim: number; maxVocab: number; minCount: number }
  | { kind: 'tokens'; maxLength: number; maxVocab: number; minCount: number; lowercase: boolean }
  | { kind: 'image'; shape: number[]; scale: number; mean: number; std: number };

export interface FeaturePlan {
  /** Unique id; identical transforms of one column are merged into one feature. */
  id: string;
  dataset: string;
  column: string;
  transform: TransformPlan;
  /** Per-row output shape: [width] for vectors, [maxLength] for token ids, image shape for images. */
  shape: Width[];
}

/** The tensor a model reads: its features, concatenated along the last axis in this order. */
export interface InputPlan {
  id: string;
  dataset: string;
  features: string[];
  /** 'vector': [batch, width]; 'sequence': [batch, length] token ids; 'image': [batch, ...shape]. */
  kind: 'vector' | 'sequence' | 'image';
  shape: Width[];
}

// ---------------------------------------------------------------- model

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'linear' | 'softmax';

export type LayerPlan =
  | { kind: 'dense'; units: number; activation: Activation; dropout: number }
  | { kind: 'embedding'; dim: number; vocab: Width }
  | { kind: 'conv2d'; filters: number; kernel: number; stride: number; activation: Activation }
  | { kind: 'pool'; op: 'max' | 'mean'; size: number }
  | { kind: 'flatten' }
  | { kind: 'lstm'; units: number; bidirectional: boolean }
  | { kind: 'transformer'; dim: number; heads: number; ff: number; dropout: number }
  /** MMoE: the task's gate-weighted sum of the expert modules' outputs (`experts` and `gate` are module ids). */
  | { kind: 'mixture'; experts: string[]; gate: string };

/** A sharing unit between parallel columns of per-task modules, or the gates of a mixture of experts. */
export type SharingPlan =
  | { kind: 'hard' }
  | { kind: 'cross_stitch'; columns: string[]; after: number[]; init: number }
  | { kind: 'adapters'; size: number; tasks: string[] }
  | { kind: 'soft'; columns: string[]; l2: number }
  | { kind: 'mmoe'; experts: string[]; gates: Record<string, string> };

export interface ModulePlan {
  /** Unique id; layers of one module are addressed as `${id}/${index}`. */
  id: string;
  /** The named backbone it instantiates, if any (for messages and saved-weight names). */
  backbone: string | null;
  /** What it reads: an input id or another module's id (optionally one of its layers, `${id}/${index}`). */
  from: string;
  layers: LayerPlan[];
  /** Output shape of each layer, without the batch axis. */
  shapes: Width[][];
  /** Tasks whose gradients flow into this module's parameters. */
  tasks: string[];
  sharing: SharingPlan;
}

// ---------------------------------------------------------------- tasks

/** A label expression over one row's columns; null in, null out (the row is masked for the task). */
export type Expr =
  | { col: string }
  | { lit: number | string | boolean | null }
  | { op: '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | 'and' | 'or'; args: [Expr, Expr] }
  | { op: 'not' | 'neg'; args: [Expr] }
  | { op: 'in'; args: [Expr, Expr[]] };

export type HeadKind = 'binary' | 'multiclass' | 'multilabel' | 'regression' | 'tagging' | 'span' | 'dense';

export interface HeadPlan {
  kind: HeadKind;
  /** Output units: 1 for binary and scalar regression, the class count otherwise. Symbolic when learned from data. */
  units: Width;
  /** For multiclass/tagging targets given as strings: class names come from the training split (`vocab`). */
  classes: 'index' | 'vocab';
}

export type LossKind = 'bce' | 'ce' | 'mse' | 'mae' | 'huber';
export type MetricKind = 'auc' | 'accuracy' | 'macro_f1' | 'logloss' | 'mse' | 'mae';

export interface TaskPlan {
  name: string;
  dataset: string;
  input: string;
  /** The module whose output the head reads (after the tower, if any); null for a head on the raw input. */
  from: string | null;
  target: Expr;
  targetType: ColumnType;
  head: HeadPlan;
  loss: LossKind;
  metrics: MetricKind[];
  weight: number;
}

export interface BatchGroupPlan {
  dataset: string;
  input: string;
  tasks: string[];
}

// ---------------------------------------------------------------- training

export type SchedulePlan =
  | { kind: 'constant'; lr: number }
  | { kind: 'step'; lr: number; every: number; gamma: number }
  | { kind: 'cosine'; lr: number; warmup: number; min: number }
  | { kind: 'linear'; lr: number; warmup: number; end: number };

export type OptimizerPlan =
  | { kind: 'adam'; lr: SchedulePlan; beta1: number; beta2: number; epsilon: number; weightDecay: number }
  | { kind: 'sgd'; lr: SchedulePlan; momentum: number; weightDecay: number };

export type SamplingPlan =
  | { kind: 'uniform' }
  | { kind: 'proportional' }
  | { kind: 'temperature'; t: number; cap: number | null }
  | { kind: 'explicit'; probs: Record<string, number> }
  | { kind: 'scheduled'; phases: { until: number | null; sampling: SamplingPlan }[] };

export type WeightingPlan =
  | { kind: 'equal' }
  | { kind: 'static' }
  | { kind: 'uncertainty' }
  | { kind: 'dwa'; t: number }
  | { kind: 'gradnorm'; alpha: number };

export type AggregationPlan = { kind: 'sum' } | { kind: 'pcgrad' } | { kind: 'cagrad'; c: number } | { kind: 'mgda' };

export interface StagePlan {
  tasks: string[];
  /** Module ids whose parameters do not change in this stage. */
  frozen: string[];
  epochs: number | null;
  steps: number | null;
}

export interface SelectionPlan {
  metric: MetricKind | 'loss';
  /** A task name, or 'mean' over all tasks that report the metric. */
  task: string;
  mode: 'max' | 'min';
  /** Stop after this many evaluations without improvement; null never stops early. */
  patience: number | null;
}

export interface TrainingPlan {
  optimizer: OptimizerPlan;
  /** Learning-rate multipliers per task, for what serves that task alone: its head, the modules only it reads (tower, its soft or cross-stitch column, its MMoE gate) and its adapters. */
  taskLr: Record<string, number>;
  batchSize: number;
  seed: number;
  sampling: SamplingPlan;
  weighting: WeightingPlan;
  aggregation: AggregationPlan;
  stages: StagePlan[];
  selection: SelectionPlan;
  /** Evaluate on the validation split every this many epochs. */
  evalEvery: number;
  shuffleBuffer: number;
}

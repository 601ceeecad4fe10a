/**
 * How one dataset's rows become batches: the encoders of its inputs' features and of its tasks'
 * targets, the stored-row layout they share, and the copy plans of every output tensor.
 * Built per stream (encoders hold the current record batch's views); vocabulary lookups are shared.
 */
import type { DatasetPlan, FeaturePlan, InputPlan, Job } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { FittedFeatures, SpanCount } from './api.js';
import type { CopyOp, TensorPlan } from './batch-assembler.js';
import { createFeatureEncoder, TokenEncoder, type FeatureEncoder, type LookupCache } from './feature-encoders.js';
import type { DatasetColumns } from './feature-kinds.js';
import { createLabelEncoder } from './label-encoders.js';
import { KeptLabels } from './train-labels.js';
import type { SplitName } from './api.js';
import { RowLayout, type RowEncoder } from './row-layout.js';
import { resolveWidth } from './width.js';
import type { LookupLayout } from '../kernels/embedding-bag.js';

/** A token input's ids in a stored row: `positions` of `idsPerToken` ids each, the word id first. */
export interface TokenSlots {
  readonly offset: number;
  readonly positions: number;
  readonly idsPerToken: number;
}

export interface DatasetEncoding {
  readonly layout: RowLayout;
  /** Feature encoders first: tagging labels read the token counts their token encoders computed. */
  readonly encoders: readonly RowEncoder[];
  readonly tensors: readonly TensorPlan[];
  /** Where the ids of each token input (a tensor with `tokens.lengthOf`) sit in a stored row, for length bucketing. */
  readonly tokenSlots: readonly TokenSlots[];
}

function vectorOps(input: InputPlan, encoders: readonly FeatureEncoder[], fitted: FittedFeatures): { ops: CopyOp[]; width: number } {
  const ops: CopyOp[] = [];
  let to = 0;
  for (const encoder of encoders) {
    const { area, offset, length } = encoder.slots;
    if (encoder.feature.transform.kind === 'embedding') {
      throw new UserError(`input ${input.id}: feature ${encoder.feature.id} is an embedding, which the runtime cannot feed to a vector input yet`);
    }
    if (encoder.feature.transform.kind === 'onehot') {
      const width = resolveWidth({ vocab: encoder.feature.id }, fitted);
      ops.push({ kind: 'onehot', from: offset, to, width });
      to += width;
    } else {
      ops.push({ kind: area === 'float' ? 'floats' : 'intsAsFloats', from: offset, to, length });
      to += length;
    }
  }
  return { ops, width: to };
}

/**
 * A lookup input's ops (the onehot-lookup pass): its numeric features first, then per one-hot feature the kernel row
 * its id selects, each at the row it has in the one-hot vector `vectorOps` would write. Null when it has no one-hot
 * feature (nothing to look up).
 */
function lookupOps(encoders: readonly FeatureEncoder[], fitted: FittedFeatures): { ops: CopyOp[]; layout: LookupLayout } | null {
  const numericRows: number[] = [];
  const ids: { from: number; offset: number }[] = [];
  const numeric: CopyOp[] = [];
  let row = 0;
  for (const encoder of encoders) {
    const { area, offset, length } = encoder.slots;
    if (encoder.feature.transform.kind === 'onehot') {
      ids.push({ from: offset, offset: row });
      row += resolveWidth({ vocab: encoder.feature.id }, fitted);
      continue;
    }
    if (encoder.feature.transform.kind === 'embedding') return null;
    numeric.push({ kind: area === 'float' ? 'floats' : 'intsAsFloats', from: offset, to: numericRows.length, length });
    for (let j = 0; j < length; j++) numericRows.push(row + j);
    row += length;
  }
  if (ids.length === 0) return null;
  const ops = [...numeric, ...ids.map((id, k): CopyOp => ({ kind: 'lookup', from: id.from, to: numericRows.length + k, offset: id.offset }))];
  return { ops, layout: { numericRows: Int32Array.from(numericRows), ids: ids.length, width: row } };
}

function sequenceOps(input: InputPlan, encoders: readonly FeatureEncoder[]): { ops: CopyOp[]; width: number } {
  const ops: CopyOp[] = [];
  let to = 0;
  for (const encoder of encoders) {
    if (encoder.slots.area !== 'int' || encoder.feature.transform.kind === 'onehot') {
      throw new UserError(`input ${input.id} is a sequence of ids, but feature ${encoder.feature.id} is ${encoder.feature.transform.kind}`);
    }
    ops.push({ kind: 'ints', from: encoder.slots.offset, to, length: encoder.slots.length });
    to += encoder.slots.length;
  }
  return { ops, width: to };
}

function inputTensor(input: InputPlan, encoders: readonly FeatureEncoder[], fitted: FittedFeatures): TensorPlan {
  const declared = input.shape.map((w) => resolveWidth(w, fitted));
  if (input.kind === 'image') {
    const [only, ...rest] = encoders;
    if (!only || rest.length > 0 || only.slots.area !== 'float') {
      throw new UserError(`input ${input.id} is an image input; it must read exactly one image (or numeric list) feature`);
    }
    const size = declared.reduce((a, b) => a * b, 1);
    if (size !== only.slots.length) {
      throw new Error(`input ${input.id}: shape ${JSON.stringify(declared)} holds ${size} values but feature ${only.feature.id} has ${only.slots.length}`);
    }
    return { target: { input: input.id }, dtype: 'float32', rowShape: declared, ops: [{ kind: 'floats', from: only.slots.offset, to: 0, length: size }] };
  }
  const lookup = input.kind === 'vector' && input.lookup ? lookupOps(encoders, fitted) : null;
  if (lookup) {
    const { layout } = lookup;
    if (declared.length !== 1 || declared[0] !== layout.width) {
      throw new Error(`input ${input.id}: the job gives shape ${JSON.stringify(declared)} but its features add up to width ${layout.width}`);
    }
    return { target: { input: input.id }, dtype: 'float32', rowShape: [layout.numericRows.length + layout.ids], ops: lookup.ops, lookup: layout };
  }
  const { ops, width } = input.kind === 'vector' ? vectorOps(input, encoders, fitted) : sequenceOps(input, encoders);
  // A sequence of tokens with subword ids is [length, ids per token], stored position by position.
  const subwordIds = input.kind === 'sequence' && declared.length === 2;
  if ((declared.length !== 1 && !subwordIds) || declared.reduce((a, b) => a * b, 1) !== width) {
    throw new Error(`input ${input.id}: the job gives shape ${JSON.stringify(declared)} but its features add up to width ${width}`);
  }
  const tensor: TensorPlan = { target: { input: input.id }, dtype: input.kind === 'vector' ? 'float32' : 'int32', rowShape: subwordIds ? declared : [width], ops };
  return tokenInput(input, encoders) ? { ...tensor, tokens: { lengthOf: true } } : tensor;
}

/** A sequence input of one tokens feature: its batches are cut to their longest sequence (ids concatenated from several features are not). */
function tokenInput(input: InputPlan, encoders: readonly FeatureEncoder[]): boolean {
  return input.kind === 'sequence' && encoders.length === 1 && encoders[0] instanceof TokenEncoder;
}

/** The feature encoders of some inputs, sharing one row layout, and the copy plans of those inputs' tensors. */
export interface InputEncoding {
  readonly layout: RowLayout;
  /** Every feature encoder made so far, by feature id, in the order they were made. */
  readonly featureEncoders: ReadonlyMap<string, FeatureEncoder>;
  /** The encoder of a feature, made (and its slots reserved) on first use. */
  encoderOf(id: string): FeatureEncoder;
  readonly tensors: readonly TensorPlan[];
}

/**
 * How `inputs` (of the dataset whose columns are `plan`) are encoded: what training, evaluation and serving share, so
 * a row served is encoded exactly as one evaluated.
 */
export function createInputEncoding(job: Pick<Job, 'features'>, fitted: FittedFeatures, plan: DatasetColumns, lookups: LookupCache, inputs: readonly InputPlan[]): InputEncoding {
  const layout = new RowLayout();
  const featuresById = new Map<string, FeaturePlan>(job.features.map((f) => [f.id, f]));
  const featureEncoders = new Map<string, FeatureEncoder>();
  const encoderOf = (id: string): FeatureEncoder => {
    let encoder = featureEncoders.get(id);
    if (!encoder) {
      const feature = featuresById.get(id);
      if (!feature) throw new Error(`the job has no feature ${id}`);
      encoder = createFeatureEncoder(feature, plan, fitted, layout, lookups);
      featureEncoders.set(id, encoder);
    }
    return encoder;
  };
  const tensors = inputs.map((input) => inputTensor(input, input.features.map(encoderOf), fitted));
  return { layout, featureEncoders, encoderOf, tensors };
}

/**
 * `split` decides whether a task's `trainLabels` apply: they cut the training split alone. `spans` (by task) is where
 * span heads count the spans they read and those cut off by the tokens' max_length.
 */
export function createDatasetEncoding(job: Job, fitted: FittedFeatures, plan: DatasetPlan, lookups: LookupCache, split: SplitName, spans?: Map<string, SpanCount>): DatasetEncoding {
  const inputs = job.inputs.filter((i) => i.dataset === plan.name);
  const { layout, featureEncoders, encoderOf, tensors: inputTensors } = createInputEncoding(job, fitted, plan, lookups, inputs);
  const tensors: TensorPlan[] = [...inputTensors];

  const labelEncoders: RowEncoder[] = [];
  for (const task of job.tasks.filter((t) => t.dataset === plan.name)) {
    const input = job.inputs.find((i) => i.id === task.input);
    const tokens = input?.features.map(encoderOf).find((e): e is TokenEncoder => e instanceof TokenEncoder) ?? null;
    const classes = task.head.classes === 'vocab' ? fitted.classes[task.name] : null;
    if (classes === undefined) throw new Error(`task ${task.name}: no fitted classes`);
    const units = resolveWidth(task.head.units, fitted);
    const pixels = input?.kind === 'image' ? resolveWidth(input.shape[0]!, fitted) * resolveWidth(input.shape[1]!, fitted) : null;
    const tally = spans && task.head.kind === 'span' ? tallyOf(spans, task.name) : undefined;
    const encoder = createLabelEncoder(task, { units, unitsLearned: typeof task.head.units !== 'number', classes, tokens, pixels, ...(tally ? { spans: tally } : {}) }, layout);
    labelEncoders.push(split === 'train' && task.trainLabels ? new KeptLabels(encoder, task.trainLabels) : encoder);
    const copy = (area: 'float' | 'int', from: number, length: number): CopyOp => ({ kind: area === 'float' ? 'floats' : 'ints', from, to: 0, length });
    // Per-token labels are cut with the tokens they align with.
    const perToken = task.head.kind === 'tagging' && input !== undefined && tokenInput(input, input.features.map(encoderOf)) ? { tokens: { lengthOf: false } } : {};
    tensors.push({
      target: { task: task.name, part: 'values' },
      dtype: encoder.values.area === 'float' ? 'float32' : 'int32',
      rowShape: encoder.rowShape,
      ops: [copy(encoder.values.area, encoder.values.offset, encoder.values.length)],
      ...perToken,
    });
    tensors.push({
      target: { task: task.name, part: 'mask' },
      dtype: 'float32',
      rowShape: encoder.mask.length === 1 ? [] : [encoder.mask.length],
      ops: [copy('float', encoder.mask.offset, encoder.mask.length)],
      ...perToken,
    });
  }
  const tokenSlots = inputs.filter((input) => tokenInput(input, input.features.map(encoderOf))).map((input) => {
    const tokens = encoderOf(input.features[0]!) as TokenEncoder;
    return { offset: tokens.slots.offset, positions: tokens.maxLength, idsPerToken: tokens.idsPerToken };
  });
  return { layout, encoders: [...featureEncoders.values(), ...labelEncoders], tensors, tokenSlots };
}

function tallyOf(spans: Map<string, SpanCount>, task: string): SpanCount {
  let tally = spans.get(task);
  if (!tally) spans.set(task, (tally = { rows: 0, cut: 0 }));
  return tally;
}

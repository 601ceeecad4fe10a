/** The contract between the data loader and the trainer. */
import type { LookupLayout } from '../kernels/embedding-bag.js';
import type { Job, Width } from '../../job/job.js';

export type SplitName = 'train' | 'valid' | 'test';

export interface TensorData {
  data: Float32Array | Int32Array;
  /** With the batch axis first. */
  shape: number[];
  /** A vector input fed as kernel row ids (the onehot-lookup pass): its numbers first, then one row id per one-hot feature. */
  lookup?: LookupLayout;
}

export interface LabelData {
  /**
   * binary / regression: float32 [n]; multilabel: float32 [n, k]; multiclass: int32 [n] class index;
   * tagging: int32 [n, maxLength] class index per token (masked where the token is padding or unlabelled); span:
   * int32 [n, 2], [start, end] token positions.
   */
  values: TensorData;
  /** 1 where the row (or token, for tagging: shape [n, maxLength]) has a label for this task, 0 where not. */
  mask: Float32Array;
}

export interface Batch {
  dataset: string;
  size: number;
  /**
   * By InputPlan.id: vector inputs float32 [n, width]; sequence inputs int32 [n, length] (a tokens feature with
   * suffixes or shapes: [n, length, ids per token], the word id first); images float32 [n, ...shape]. A sequence input
   * of one tokens feature is cut to the batch's longest sequence (length ≤ max_length), padded with id 0 at the end of
   * shorter rows: its mask is word ids ≠ 0. Per-token labels aligned with it are cut alike.
   */
  inputs: Record<string, TensorData>;
  /** By task name, for every task of the job that reads this dataset. */
  labels: Record<string, LabelData>;
}

/** What the loader learns from the training split, once; saved to the run directory as `features.json`. */
export interface FittedFeatures {
  /**
   * Per feature id: mean/std (standardize), min/max (normalize), the vocabulary (onehot, embedding, tokens), or an
   * image's per-channel mean and standard deviation after its fixed scaling (image with `normalize: 'per_channel'`).
   * Token and embedding vocabularies start with '<pad>' (id 0) and '<unk>' (id 1); one-hot vocabularies do not. A tokens
   * feature with `suffixes` also has its suffix vocabulary (`suffixVocab`, reserved entries alike; subwords.ts).
   */
  features: Record<string, { mean?: number; std?: number; min?: number; max?: number; vocab?: string[]; suffixVocab?: string[]; channelMean?: number[]; channelStd?: number[] }>;
  /**
   * Per task with string classes: the class names, index = class id. Per task with integer classes whose
   * count is learned (`units: { vocab: "task:NAME" }`): '0' … String(largest index in the training split).
   */
  classes: Record<string, string[]>;
  /** Rows per split per dataset. */
  rows: Record<string, Record<SplitName, number>>;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle with a seeded buffer (training); evaluation reads in file order. */
  shuffle: boolean;
  seed: number;
  /** Mixed into the shuffle seed so each epoch has its own order (default 0). */
  epoch?: number;
  /**
   * The caller reads this split again (training's epochs, each epoch's evaluation): the loader may keep its encoded rows
   * after this pass, when they fit, and draw later passes from memory (loader.ts `keptRows`). Default false.
   */
  keep?: boolean;
  /**
   * The caller is done with a batch once it asks for the next one, and holds none of its arrays (nor a tensor that
   * shares their memory) past that: the loader may then overwrite them with a later batch instead of allocating new
   * ones. Default false: every batch's arrays are its own.
   */
  reuseArrays?: boolean;
}

export interface OpenJobDataOptions {
  /** What a previous run fitted (see `loadFitted`): skips the fitting pass, so evaluation encodes exactly as training did. */
  fitted?: FittedFeatures;
}

export interface JobData {
  readonly job: Job;
  readonly fitted: FittedFeatures;
  /** Resolves every symbolic width of the job (`{ vocab: featureId }`, `{ suffixes: featureId }`, `{ sum: [...] }`) against the fitted vocabularies. */
  width(w: Width): number;
  /** Streams one split of one dataset as encoded batches; never holds the whole file in memory. */
  batches(dataset: string, split: SplitName, options: BatchOptions): AsyncIterable<Batch>;
  /** Token positions and tokens of the training batches streamed so far (the rest is padding); null without token inputs. */
  padding?(): PaddingCount | null;
  /** By span task: the training rows streamed so far that hold a span, and those unlabelled as it ends past the tokens kept. */
  cutSpans?(): Record<string, SpanCount>;
}

/** Rows with a span, and how many of them the tokens' max_length cuts it from (they are unlabelled). */
export interface SpanCount {
  rows: number;
  cut: number;
}

/** Token-input positions of batches, and how many of them hold tokens (the rest is padding). */
export interface PaddingCount {
  tokens: number;
  positions: number;
}

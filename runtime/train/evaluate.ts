/**
 * Evaluation over a whole split: predictions are accumulated for every row, then each task's metrics
 * are computed once from all of them (an exact AUC, not an average of per-batch AUCs). The loss is
 * the same masked loss as in training, summed over the split and divided once.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, JobData, SplitName } from '../data/api.js';
import { headRuntime } from '../model/heads/index.js';
import type { HeadInfo, MtlModel } from '../model/types.js';
import { inputTensors, labelTensors } from './labels.js';
import { maskedLossSum } from './loss.js';
import { DenseStep } from './dense-step.js';
import { taskMetrics, type TaskPredictions } from './taskMetrics.js';

/** Per task: `loss` and every metric the task asks for; null where undefined (no labelled rows, one class only). */
export type TaskScores = Record<string, number | null>;
export type SplitScores = Record<string, TaskScores>;

export interface EvaluateOptions {
  /** Default: every task of the job. */
  tasks?: readonly string[];
  /** Default: the job's batch size. */
  batchSize?: number;
  /**
   * Compute the logits with the fused dense routines (dense-step.ts) where the network is one they run: optimization
   * `fused-dense-step`, which the training loop uses unless `--no-opt` leaves it out. Default false.
   */
  denseForward?: boolean;
  /** The split is evaluated again (each epoch's validation): let the loader keep its rows (`BatchOptions.keep`). */
  keep?: boolean;
  /** Told each batch's predictions (HeadRuntime.predictions, `units` per row), per task, in file order. */
  onPredictions?: (batch: Batch, predictions: ReadonlyMap<string, Float32Array>) => void;
}

export async function evaluate(model: MtlModel, data: JobData, split: SplitName, options: EvaluateOptions = {}): Promise<SplitScores> {
  const wanted = new Set(options.tasks ?? model.heads.keys());
  const batchSize = options.batchSize ?? model.job.training.batchSize;
  const scores: SplitScores = {};
  for (const group of model.job.batchGroups) {
    const tasks = group.tasks.filter((t) => wanted.has(t) && model.heads.has(t));
    if (tasks.length === 0) continue;
    const accumulators = new Map(tasks.map((t) => [t, new Accumulator(model.heads.get(t)!)]));
    const inputs = new Set([group.input]);
    const dense = options.denseForward ? DenseStep.forInference(model, tasks) : null;
    // Accumulators copy labels and masks; a caller told of each batch may hold it, so its arrays are then its own.
    const reuseArrays = options.onPredictions === undefined;
    for await (const batch of data.batches(group.dataset, split, { batchSize, shuffle: false, seed: 0, keep: options.keep ?? false, reuseArrays })) {
      const predictions = addBatch(model, batch, tasks, inputs, accumulators, dense);
      options.onPredictions?.(batch, predictions);
    }
    for (const [task, accumulator] of accumulators) scores[task] = accumulator.scores();
  }
  return scores;
}

/**
 * Why a split's AUC is undefined ("-" in the reports), one line per task: its labelled rows hold one class only
 * (a split too small to hold both), or it has none. A diverged model's NaN predictions end the run on their own.
 */
export function undefinedAucWarnings(scores: SplitScores, split: SplitName): string[] {
  const warnings: string[] = [];
  for (const [task, values] of Object.entries(scores)) {
    if (!('auc' in values) || values.auc !== null) continue;
    const why = values.loss === null ? 'has no labelled rows' : 'has labelled rows of one class only';
    warnings.push(`warning: task ${task}'s AUC on the ${split} split is undefined ("-"): the split ${why}; give the ${split} split more rows`);
  }
  return warnings;
}

/** Adds a batch to the accumulators; returns its predictions per task. */
function addBatch(model: MtlModel, batch: Batch, tasks: string[], inputs: Set<string>, accumulators: Map<string, Accumulator>, dense: DenseStep | null): Map<string, Float32Array> {
  const present = tasks.filter((t) => batch.labels[t] !== undefined);
  const predictions = new Map<string, Float32Array>();
  tf.tidy(() => {
    const logits = dense ? denseLogits(model, dense, batch, present) : model.forward(inputTensors(batch, inputs), present, false);
    for (const task of present) {
      const head = model.heads.get(task)!;
      const label = batch.labels[task]!;
      const { sum, count } = maskedLossSum(head, logits.get(task)!, labelTensors(head, label, batch.size));
      const values = headRuntime(head).predictions(logits.get(task)!, head.units, head.task.head).dataSync() as Float32Array;
      accumulators.get(task)!.add(values, label.values.data, label.mask, sum.dataSync()[0]!, count);
      predictions.set(task, values.slice());
    }
  });
  return predictions;
}

/** The fused routines' logits of the present tasks, as tensors [rows, units] for the heads' losses and predictions. */
function denseLogits(model: MtlModel, dense: DenseStep, batch: Batch, present: readonly string[]): Map<string, tf.Tensor2D> {
  const all = dense.logits(batch);
  return new Map(present.map((t) => [t, tf.tensor2d(all.get(t)!, [batch.size, model.heads.get(t)!.units])]));
}

class Accumulator {
  private readonly predictionChunks: Float32Array[] = [];
  private readonly labelChunks: (Float32Array | Int32Array)[] = [];
  private readonly maskChunks: Float32Array[] = [];
  private lossSum = 0;
  private lossCount = 0;

  constructor(private readonly head: HeadInfo) {}

  add(predictions: Float32Array, labels: Float32Array | Int32Array, mask: Float32Array, lossSum: number, lossCount: number): void {
    // dataSync may hand back the backend's own buffer: copy before the tensor is freed.
    this.predictionChunks.push(predictions.slice());
    this.labelChunks.push(labels.slice());
    this.maskChunks.push(mask.slice());
    this.lossSum += lossSum;
    this.lossCount += lossCount;
  }

  scores(): TaskScores {
    const all: TaskPredictions = {
      predictions: concat(this.predictionChunks, Float32Array),
      labels: headRuntime(this.head).labels === 'int32' ? concat(this.labelChunks as Int32Array[], Int32Array) : concat(this.labelChunks as Float32Array[], Float32Array),
      mask: concat(this.maskChunks, Float32Array),
    };
    return { loss: this.lossCount > 0 ? this.lossSum / this.lossCount : null, ...taskMetrics(this.head, all) };
  }
}

function concat<T extends Float32Array | Int32Array>(chunks: T[], Type: { new (length: number): T }): T {
  const out = new Type(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

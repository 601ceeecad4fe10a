/**
 * The metrics a task asks for, from its predictions over a whole split (runtime/metrics.ts does the
 * arithmetic). What each metric means per head:
 *   binary      auc, accuracy (p > 0.5), macro_f1 over {0, 1}, logloss
 *   multiclass  accuracy and macro_f1 of the argmax, logloss, auc = mean one-vs-rest AUC over classes
 *   multilabel  auc, logloss, accuracy: means over labels; macro_f1: mean F1 of each label's positive class
 *   regression  mse, mae (over every output)
 * A metric that does not apply to the head, or is undefined on the split, is null.
 */
import type { MetricKind } from '../../job/job.js';
import * as metrics from '../metrics.js';
import type { HeadInfo } from '../model/types.js';

export interface TaskPredictions {
  /** What model/heads.ts `predictions` returns, for every row of the split, row-major. */
  predictions: Float32Array;
  /** As the loader gives them: float [n] or [n, k]; int32 class indices [n] for multiclass. */
  labels: Float32Array | Int32Array;
  /** [n], or [n, k] for a multilabel task masked per label. */
  mask: Float32Array;
}

export function taskMetrics(head: HeadInfo, all: TaskPredictions): Record<string, number | null> {
  const result: Record<string, number | null> = {};
  for (const metric of head.task.metrics) result[metric] = metricValue(head, metric, all);
  return result;
}

function metricValue(head: HeadInfo, metric: MetricKind, { predictions, labels, mask }: TaskPredictions): number | null {
  const k = head.units;
  switch (head.task.head.kind) {
    case 'binary':
      switch (metric) {
        case 'auc':
          return metrics.rocAuc(predictions, labels, mask);
        case 'accuracy':
          return metrics.binaryAccuracy(predictions, labels, mask);
        case 'macro_f1':
          return metrics.binaryMacroF1(predictions, labels, mask);
        case 'logloss':
          return metrics.binaryLogLoss(predictions, labels, mask);
        default:
          return null;
      }
    case 'multiclass': {
      const scores = { values: predictions, classes: k };
      switch (metric) {
        case 'accuracy':
          return metrics.multiclassAccuracy(scores, labels, mask);
        case 'macro_f1':
          return metrics.multiclassMacroF1(scores, labels, mask);
        case 'logloss':
          return metrics.multiclassLogLoss(scores, labels, mask);
        case 'auc':
          return meanOf(
            Array.from({ length: k }, (_, c) =>
              metrics.rocAuc(column(predictions, k, c), Float32Array.from(labels, (y) => (y === c ? 1 : 0)), mask),
            ),
          );
        default:
          return null;
      }
    }
    case 'multilabel': {
      const labelMask = (c: number) => (mask.length === labels.length ? column(mask, k, c) : mask);
      const perLabel = (f: (p: Float32Array, y: Float32Array, m: Float32Array) => number | null) =>
        meanOf(Array.from({ length: k }, (_, c) => f(column(predictions, k, c), column(labels, k, c), labelMask(c))));
      switch (metric) {
        case 'auc':
          return perLabel(metrics.rocAuc);
        case 'accuracy':
          return perLabel(metrics.binaryAccuracy);
        case 'logloss':
          return perLabel(metrics.binaryLogLoss);
        case 'macro_f1':
          return perLabel(positiveF1);
        default:
          return null;
      }
    }
    case 'regression':
      switch (metric) {
        case 'mse':
          return metrics.mse(predictions, labels, mask);
        case 'mae':
          return metrics.mae(predictions, labels, mask);
        default:
          return null;
      }
    default:
      return null;
  }
}

/** F1 of the positive class at p > 0.5; null when the label is never positive nor predicted positive. */
function positiveF1(probabilities: Float32Array, labels: Float32Array, mask: Float32Array): number | null {
  let truePositive = 0;
  let falsePositive = 0;
  let falseNegative = 0;
  for (let i = 0; i < labels.length; i++) {
    if (mask[i] === 0) continue;
    if (Number.isNaN(probabilities[i]!)) return null;
    const predicted = probabilities[i]! > metrics.BINARY_THRESHOLD;
    const actual = labels[i] === 1;
    if (predicted && actual) truePositive++;
    else if (predicted) falsePositive++;
    else if (actual) falseNegative++;
  }
  const denominator = 2 * truePositive + falsePositive + falseNegative;
  return denominator === 0 ? null : (2 * truePositive) / denominator;
}

function column(values: Float32Array | Int32Array, width: number, c: number): Float32Array {
  const out = new Float32Array(values.length / width);
  for (let i = 0; i < out.length; i++) out[i] = values[i * width + c]!;
  return out;
}

function meanOf(values: (number | null)[]): number | null {
  const defined = values.filter((v): v is number => v !== null);
  return defined.length === 0 ? null : defined.reduce((a, b) => a + b, 0) / defined.length;
}

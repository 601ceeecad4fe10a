/**
 * Evaluation metrics as pure functions over typed arrays (or plain number arrays).
 *
 * Conventions shared by every function:
 *   - `mask` is optional; a row whose mask is 0 is ignored entirely (its label may be NaN: a null
 *     label masks the row for its task). Any other mask value includes the row; masks are not weights.
 *   - A metric that is undefined for its input returns null, never NaN: no rows left after masking,
 *     AUC with one class only, or a NaN among the included predictions (a diverged model).
 *   - Binary predictions are probabilities; a row is predicted positive when p > 0.5 (as Keras'
 *     binary_accuracy). Binary labels must be 0 or 1.
 *   - Multiclass predictions are row-major [n, k] scores (probabilities or logits for argmax metrics,
 *     probabilities for log loss); labels are class indices in [0, k).
 * Sums are accumulated in float64 whatever the input precision.
 */

export type Values = ArrayLike<number>;
export type Mask = ArrayLike<number> | null | undefined;

/** Row-major [rows, classes] scores. */
export interface ClassScores {
  values: Values;
  classes: number;
}

/** The threshold above which a binary probability counts as a positive prediction. */
export const BINARY_THRESHOLD = 0.5;

/** Probabilities are clipped to [ε, 1-ε] before the log, as scikit-learn's log_loss (eps=1e-15). */
export const LOG_LOSS_EPSILON = 1e-15;

// ---------------------------------------------------------------- ranking

/**
 * Area under the ROC curve, exact: the Mann–Whitney U statistic over (positive, negative) pairs,
 * a tie counting one half (equivalent to average ranks). O(n log n): positives' and negatives'
 * scores are sorted apart, then one merge walk counts, for each positive, the negatives below it
 * and tied with it. Null when only one class remains after masking.
 */
export function rocAuc(scores: Values, labels: Values, mask?: Mask): number | null {
  checkLengths('rocAuc', scores.length, labels.length, mask);
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!included(mask, i)) continue;
    if (Number.isNaN(scores[i]!)) return null;
    if (binaryLabel('rocAuc', labels[i]!, i) === 1) positives++;
    else negatives++;
  }
  if (positives === 0 || negatives === 0) return null;

  const positiveScores = new Float64Array(positives);
  const negativeScores = new Float64Array(negatives);
  for (let i = 0, p = 0, q = 0; i < labels.length; i++) {
    if (!included(mask, i)) continue;
    if (labels[i] === 1) positiveScores[p++] = scores[i]!;
    else negativeScores[q++] = scores[i]!;
  }
  positiveScores.sort();
  negativeScores.sort();

  // Counts stay exact in float64 up to 2^53, far beyond any dataset here.
  let wins = 0;
  let below = 0;
  for (let p = 0; p < positives; ) {
    const score = positiveScores[p]!;
    let groupEnd = p;
    while (groupEnd < positives && positiveScores[groupEnd] === score) groupEnd++;
    while (below < negatives && negativeScores[below]! < score) below++;
    let tiedEnd = below;
    while (tiedEnd < negatives && negativeScores[tiedEnd] === score) tiedEnd++;
    wins += (groupEnd - p) * (below + (tiedEnd - below) / 2);
    p = groupEnd;
  }
  return wins / (positives * negatives);
}

// ---------------------------------------------------------------- classification

/** Fraction of included rows where (p > 0.5) equals the 0/1 label. */
export function binaryAccuracy(probabilities: Values, labels: Values, mask?: Mask): number | null {
  checkLengths('binaryAccuracy', probabilities.length, labels.length, mask);
  let correct = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!included(mask, i)) continue;
    const p = probabilities[i]!;
    if (Number.isNaN(p)) return null;
    if (binaryPrediction(p) === binaryLabel('binaryAccuracy', labels[i]!, i)) correct++;
    count++;
  }
  return count === 0 ? null : correct / count;
}

/** Fraction of included rows whose argmax class (first on ties) equals the label. */
export function multiclassAccuracy(scores: ClassScores, labels: Values, mask?: Mask): number | null {
  const rows = checkClassScores('multiclassAccuracy', scores, labels, mask);
  let correct = 0;
  let count = 0;
  for (let i = 0; i < rows; i++) {
    if (!included(mask, i)) continue;
    const predicted = argmaxRow(scores, i);
    if (predicted === null) return null;
    if (predicted === classLabel('multiclassAccuracy', labels[i]!, scores.classes, i)) correct++;
    count++;
  }
  return count === 0 ? null : correct / count;
}

/**
 * Macro-averaged F1 over the classes {0, 1} that occur in the labels or predictions
 * (scikit-learn's f1_score(average='macro') default). Predictions are p > 0.5.
 */
export function binaryMacroF1(probabilities: Values, labels: Values, mask?: Mask): number | null {
  checkLengths('binaryMacroF1', probabilities.length, labels.length, mask);
  const confusion = new ConfusionCounts(2);
  for (let i = 0; i < labels.length; i++) {
    if (!included(mask, i)) continue;
    const p = probabilities[i]!;
    if (Number.isNaN(p)) return null;
    confusion.add(binaryLabel('binaryMacroF1', labels[i]!, i), binaryPrediction(p));
  }
  return confusion.macroF1();
}

/**
 * Macro-averaged F1 over the classes that occur in the labels or the argmax predictions
 * (scikit-learn's default labels = their union); classes in neither do not count.
 */
export function multiclassMacroF1(scores: ClassScores, labels: Values, mask?: Mask): number | null {
  const rows = checkClassScores('multiclassMacroF1', scores, labels, mask);
  const confusion = new ConfusionCounts(scores.classes);
  for (let i = 0; i < rows; i++) {
    if (!included(mask, i)) continue;
    const predicted = argmaxRow(scores, i);
    if (predicted === null) return null;
    confusion.add(classLabel('multiclassMacroF1', labels[i]!, scores.classes, i), predicted);
  }
  return confusion.macroF1();
}

/**
 * Mean intersection over union of the argmax classes (per-pixel for a dense head: each pixel a row): per class c,
 * IoU_c = |predicted c ∩ labelled c| / |predicted c ∪ labelled c| = TP / (TP + FP + FN), counted over every included
 * row at once (so over a whole split, not averaged per batch), then averaged over the classes that occur in the labels
 * or the predictions; a class in neither is skipped (as torchmetrics' JaccardIndex and mmseg, which ignore NaN IoUs).
 */
export function meanIoU(scores: ClassScores, labels: Values, mask?: Mask): number | null {
  const rows = checkClassScores('meanIoU', scores, labels, mask);
  const confusion = new ConfusionCounts(scores.classes);
  for (let i = 0; i < rows; i++) {
    if (!included(mask, i)) continue;
    const predicted = argmaxRow(scores, i);
    if (predicted === null) return null;
    confusion.add(classLabel('meanIoU', labels[i]!, scores.classes, i), predicted);
  }
  return confusion.meanIoU();
}

/** Per-class true positives, false positives and false negatives. */
class ConfusionCounts {
  private readonly truePositives: Float64Array;
  private readonly falsePositives: Float64Array;
  private readonly falseNegatives: Float64Array;
  private rows = 0;

  constructor(classes: number) {
    this.truePositives = new Float64Array(classes);
    this.falsePositives = new Float64Array(classes);
    this.falseNegatives = new Float64Array(classes);
  }

  add(label: number, predicted: number): void {
    this.rows++;
    if (label === predicted) {
      this.truePositives[label]!++;
    } else {
      this.falsePositives[predicted]!++;
      this.falseNegatives[label]!++;
    }
  }

  /** Mean F1 = 2TP / (2TP + FP + FN) over classes seen as a label or a prediction. */
  macroF1(): number | null {
    return this.meanOverPresent(2);
  }

  /** Mean IoU = TP / (TP + FP + FN) over classes seen as a label or a prediction. */
  meanIoU(): number | null {
    return this.meanOverPresent(1);
  }

  /** The mean of w·TP / (w·TP + FP + FN) over the classes where it is defined (F1 is w = 2, IoU w = 1). */
  private meanOverPresent(w: number): number | null {
    if (this.rows === 0) return null;
    let sum = 0;
    let present = 0;
    for (let c = 0; c < this.truePositives.length; c++) {
      const denominator = w * this.truePositives[c]! + this.falsePositives[c]! + this.falseNegatives[c]!;
      if (denominator === 0) continue;
      sum += (w * this.truePositives[c]!) / denominator;
      present++;
    }
    return sum / present;
  }
}

// ---------------------------------------------------------------- log loss

/** Mean binary cross-entropy of probabilities against 0/1 labels, probabilities clipped to [ε, 1-ε]. */
export function binaryLogLoss(probabilities: Values, labels: Values, mask?: Mask): number | null {
  checkLengths('binaryLogLoss', probabilities.length, labels.length, mask);
  let total = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!included(mask, i)) continue;
    const p = probabilities[i]!;
    if (Number.isNaN(p)) return null;
    const clipped = clip(p);
    total -= binaryLabel('binaryLogLoss', labels[i]!, i) === 1 ? Math.log(clipped) : Math.log(1 - clipped);
    count++;
  }
  return count === 0 ? null : total / count;
}

/**
 * Mean categorical cross-entropy of [n, k] probabilities against class indices. As scikit-learn,
 * each row is clipped to [ε, 1-ε] and renormalized to sum 1 before the log.
 */
export function multiclassLogLoss(probabilities: ClassScores, labels: Values, mask?: Mask): number | null {
  const rows = checkClassScores('multiclassLogLoss', probabilities, labels, mask);
  const { values, classes } = probabilities;
  let total = 0;
  let count = 0;
  for (let i = 0; i < rows; i++) {
    if (!included(mask, i)) continue;
    const label = classLabel('multiclassLogLoss', labels[i]!, classes, i);
    let rowSum = 0;
    for (let c = 0; c < classes; c++) {
      const p = values[i * classes + c]!;
      if (Number.isNaN(p)) return null;
      rowSum += clip(p);
    }
    total -= Math.log(clip(values[i * classes + label]!) / rowSum);
    count++;
  }
  return count === 0 ? null : total / count;
}

function clip(p: number): number {
  return Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
}

// ---------------------------------------------------------------- regression

/**
 * Mean squared error. `mask` may have one entry per value or one per row of a multi-output target
 * (values.length / mask.length consecutive values per row).
 */
export function mse(predictions: Values, targets: Values, mask?: Mask): number | null {
  return meanOfErrors('mse', predictions, targets, mask, (d) => d * d);
}

/** Mean absolute error; `mask` as for mse. */
export function mae(predictions: Values, targets: Values, mask?: Mask): number | null {
  return meanOfErrors('mae', predictions, targets, mask, Math.abs);
}

function meanOfErrors(
  metric: string,
  predictions: Values,
  targets: Values,
  mask: Mask,
  error: (difference: number) => number,
): number | null {
  if (predictions.length !== targets.length) {
    throw new Error(`${metric}: ${predictions.length} predictions for ${targets.length} targets`);
  }
  const width = mask == null ? 1 : rowWidth(metric, predictions.length, mask.length);
  let total = 0;
  let count = 0;
  for (let i = 0; i < predictions.length; i++) {
    if (!included(mask, Math.floor(i / width))) continue;
    const p = predictions[i]!;
    if (Number.isNaN(p)) return null;
    total += error(p - targets[i]!);
    count++;
  }
  return count === 0 ? null : total / count;
}

function rowWidth(metric: string, values: number, maskLength: number): number {
  if (maskLength === 0 ? values !== 0 : values % maskLength !== 0) {
    throw new Error(`${metric}: a mask of ${maskLength} rows does not divide ${values} values`);
  }
  return maskLength === 0 ? 1 : values / maskLength;
}

// ---------------------------------------------------------------- spans

/**
 * Spans are row-major [start, end] pairs of 0-based inclusive token positions (a span head's predictions and labels).
 * Exact match: the share of included rows whose predicted pair is the labelled one.
 */
export function spanExactMatch(predicted: Values, labels: Values, mask?: Mask): number | null {
  return meanOverSpans('spanExactMatch', predicted, labels, mask, (p, g) => (p.start === g.start && p.end === g.end ? 1 : 0));
}

/**
 * SQuAD's token F1 per row, over token positions: overlap = |predicted ∩ labelled|, precision = overlap / |predicted|,
 * recall = overlap / |labelled|, F1 = 2PR / (P + R) = 2·overlap / (|predicted| + |labelled|), 0 without overlap;
 * averaged over the included rows.
 */
export function spanTokenF1(predicted: Values, labels: Values, mask?: Mask): number | null {
  return meanOverSpans('spanTokenF1', predicted, labels, mask, (p, g) => {
    const overlap = Math.max(0, Math.min(p.end, g.end) - Math.max(p.start, g.start) + 1);
    return (2 * overlap) / (p.end - p.start + 1 + (g.end - g.start + 1));
  });
}

interface Span {
  start: number;
  end: number;
}

function meanOverSpans(metric: string, predicted: Values, labels: Values, mask: Mask, score: (predicted: Span, label: Span) => number): number | null {
  const rows = labels.length / 2;
  if (predicted.length !== labels.length || !Number.isInteger(rows)) throw new Error(`${metric}: ${predicted.length} predicted values for ${labels.length} labelled ones (two per row)`);
  if (mask != null && mask.length !== rows) throw new Error(`${metric}: ${mask.length} mask rows for ${rows} spans`);
  let total = 0;
  let count = 0;
  for (let i = 0; i < rows; i++) {
    if (!included(mask, i)) continue;
    const p = { start: predicted[2 * i]!, end: predicted[2 * i + 1]! };
    if (Number.isNaN(p.start) || Number.isNaN(p.end)) return null;
    const g = { start: labels[2 * i]!, end: labels[2 * i + 1]! };
    if (!(g.start <= g.end)) throw new Error(`${metric}: label [${g.start}, ${g.end}] at row ${i} is not a span`);
    total += score(p, g);
    count++;
  }
  return count === 0 ? null : total / count;
}

// ---------------------------------------------------------------- shared checks

function included(mask: Mask, row: number): boolean {
  return mask == null || mask[row] !== 0;
}

function binaryPrediction(probability: number): 0 | 1 {
  return probability > BINARY_THRESHOLD ? 1 : 0;
}

function binaryLabel(metric: string, label: number, row: number): 0 | 1 {
  if (label === 0 || label === 1) return label;
  throw new Error(`${metric}: label ${label} at row ${row} is not 0 or 1`);
}

function classLabel(metric: string, label: number, classes: number, row: number): number {
  if (Number.isInteger(label) && label >= 0 && label < classes) return label;
  throw new Error(`${metric}: label ${label} at row ${row} is not a class index in [0, ${classes})`);
}

/** Index of the largest score in row `row` (the first on ties); null if the row holds a NaN. */
function argmaxRow({ values, classes }: ClassScores, row: number): number | null {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < classes; c++) {
    const score = values[row * classes + c]!;
    if (Number.isNaN(score)) return null;
    if (score > bestScore || c === 0) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

function checkLengths(metric: string, predictions: number, labels: number, mask: Mask): void {
  if (predictions !== labels) throw new Error(`${metric}: ${predictions} predictions for ${labels} labels`);
  if (mask != null && mask.length !== labels) throw new Error(`${metric}: ${mask.length} mask rows for ${labels} labels`);
}

function checkClassScores(metric: string, scores: ClassScores, labels: Values, mask: Mask): number {
  const { values, classes } = scores;
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`${metric}: classes must be a positive integer, got ${classes}`);
  if (values.length !== labels.length * classes) {
    throw new Error(`${metric}: ${values.length} scores are not ${labels.length} rows of ${classes} classes`);
  }
  checkLengths(metric, labels.length, labels.length, mask);
  return labels.length;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binaryAccuracy,
  binaryLogLoss,
  binaryMacroF1,
  mae,
  meanIoU,
  mse,
  multiclassAccuracy,
  multiclassLogLoss,
  multiclassMacroF1,
  rocAuc,
} from '../../runtime/metrics.js';
import { Random } from '../../runtime/random.js';

function assertClose(actual: number | null, expected: number, tolerance = 1e-12): void {
  assert.ok(actual !== null, `expected ${expected}, got null`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

/** O(n²) reference: the fraction of (positive, negative) pairs ranked right, ties counting 1/2. */
function pairwiseAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

// ---------------------------------------------------------------- AUC

test('rocAuc: the scikit-learn example is 0.75', () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
});

test('rocAuc: ties count one half (average ranks)', () => {
  // Positives 0.5 and 0.8, negatives 0.5 and 0.5: 0.5 ties both (1), 0.8 beats both (2): 3/4.
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.8], [0, 1, 0, 1]), 0.75);
  // All scores equal: every pair a tie.
  assert.equal(rocAuc(new Float32Array([0.3, 0.3, 0.3, 0.3, 0.3]), [1, 0, 0, 1, 0]), 0.5);
  // Ranks 1..6 with ties {2,3} and {4,5,6}: average ranks 1, 2.5, 2.5, 5, 5, 5.
  // Positives at rows 1 and 3 have ranks 2.5 and 5: U = 7.5 - 3 = 4.5 over 2·4 pairs.
  assert.equal(rocAuc([0.1, 0.2, 0.2, 0.9, 0.9, 0.9], [0, 1, 0, 1, 0, 0]), 4.5 / 8);
});

test('rocAuc: perfect, reversed, and masked rows ignored', () => {
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  // The masked row would be a badly ranked positive; its NaN label must not be read as one.
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9, 0.0, 0.5], [0, 0, 1, 1, 1, Number.NaN], [1, 1, 1, 1, 0, 0]), 1);
});

test('rocAuc: undefined cases are null, not NaN', () => {
  assert.equal(rocAuc([0.1, 0.9], [1, 1]), null);
  assert.equal(rocAuc([0.1, 0.9], [0, 0]), null);
  assert.equal(rocAuc([], []), null);
  assert.equal(rocAuc([0.1, 0.9], [0, 1], [0, 1]), null);
  assert.equal(rocAuc([Number.NaN, 0.9], [0, 1]), null);
});

test('rocAuc equals the pairwise count on random data with many ties', () => {
  const random = new Random(2024);
  for (const n of [1, 2, 17, 500, 3000]) {
    const scores = new Float32Array(n);
    const labels = new Float32Array(n);
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      // Two decimals: plenty of ties across and within classes.
      scores[i] = Math.round(random.next() * 100) / 100;
      labels[i] = random.next() < 0.3 + 0.4 * scores[i]! ? 1 : 0;
      mask[i] = random.next() < 0.9 ? 1 : 0;
    }
    const keep = [...mask.keys()].filter((i) => mask[i] === 1);
    const keptScores = keep.map((i) => scores[i]!);
    const keptLabels = keep.map((i) => labels[i]!);
    const oneClass = new Set(keptLabels).size < 2;
    const auc = rocAuc(scores, labels, mask);
    if (oneClass) assert.equal(auc, null);
    else assertClose(auc, pairwiseAuc(keptScores, keptLabels), 1e-12);
  }
});

test('rocAuc rejects labels other than 0 and 1', () => {
  assert.throws(() => rocAuc([0.1, 0.2], [0, 2]), /label 2 at row 1/);
});

// ---------------------------------------------------------------- accuracy

test('binaryAccuracy thresholds probabilities at 0.5 (0.5 itself is negative)', () => {
  // Predictions 1, 0, 0, 1 against 1, 0, 1, 0.
  assert.equal(binaryAccuracy([0.9, 0.2, 0.5, 0.7], [1, 0, 1, 0]), 0.5);
  assert.equal(binaryAccuracy([0.9, 0.2, 0.5, 0.7], [1, 0, 1, 0], [1, 1, 0, 0]), 1);
  assert.equal(binaryAccuracy([0.9], [1], [0]), null);
});

test('multiclassAccuracy takes the argmax of probabilities or logits, first on ties', () => {
  const scores = { values: new Float32Array([0.1, 0.7, 0.2, 0.3, 0.3, 0.4, 2, 1, -1, 5, 5, 1]), classes: 3 };
  // Argmax per row: 1, 2, 0, 0 (tie between 0 and 1 resolves to 0).
  assert.equal(multiclassAccuracy(scores, [1, 2, 1, 0]), 3 / 4);
  assert.equal(multiclassAccuracy(scores, [1, 2, 1, 0], [1, 1, 0, 1]), 1);
  assert.throws(() => multiclassAccuracy(scores, [1, 2, 3, 0]), /not a class index/);
  assert.throws(() => multiclassAccuracy(scores, [1, 2, 1]), /not 3 rows of 3 classes/);
});

// ---------------------------------------------------------------- F1

test('binaryMacroF1 averages the F1 of class 1 and class 0', () => {
  // Predictions 1, 1, 0, 1, 0 against labels 1, 1, 1, 0, 0.
  // Class 1: TP 2, FP 1, FN 1 -> 4/6. Class 0: TP 1, FP 1, FN 1 -> 2/4. Mean 7/12.
  assertClose(binaryMacroF1([0.9, 0.8, 0.3, 0.6, 0.1], [1, 1, 1, 0, 0]), 7 / 12);
  // A class absent from labels and predictions does not count (scikit-learn's default labels).
  assert.equal(binaryMacroF1([0.9, 0.8], [1, 1]), 1);
  assert.equal(binaryMacroF1([0.9, 0.8], [1, 1], [0, 0]), null);
});

/** Five rows of four classes: argmax 0, 2, 2, 2, 1 (class 3 never wins). */
const FIVE_ROWS = new Float32Array([
  0.9, 0.05, 0.05, 0, //
  0.1, 0.2, 0.7, 0, //
  0.1, 0.1, 0.8, 0, //
  0, 0.4, 0.6, 0, //
  0.2, 0.5, 0.3, 0,
]);

test('multiclassMacroF1 averages over classes in labels or predictions', () => {
  const values = FIVE_ROWS;
  // Four classes; class 3 never occurs, so it does not count.
  // Labels 0, 1, 2, 2, 1; argmax predictions 0, 2, 2, 2, 1.
  // Class 0: F1 1. Class 1: TP 1, FN 1 -> 2/3. Class 2: TP 2, FP 1 -> 4/5. Mean 37/45.
  assertClose(multiclassMacroF1({ values, classes: 4 }, [0, 1, 2, 2, 1]), 37 / 45);
  // Masking the row predicted 2 for label 1 leaves every class perfect.
  assert.equal(multiclassMacroF1({ values, classes: 4 }, [0, 1, 2, 2, 1], [1, 0, 1, 1, 1]), 1);
});

test('meanIoU averages TP / (TP + FP + FN) over classes in labels or predictions', () => {
  // The same rows as above: labels 0, 1, 2, 2, 1; argmax 0, 2, 2, 2, 1; class 3 never occurs, so it does not count.
  const values = FIVE_ROWS;
  // Class 0: 1/1. Class 1: TP 1, FN 1 -> 1/2. Class 2: TP 2, FP 1 -> 2/3. Mean (1 + 1/2 + 2/3)/3 = 13/18.
  assertClose(meanIoU({ values, classes: 4 }, [0, 1, 2, 2, 1]), 13 / 18);
  // Masking the row predicted 2 for label 1 leaves every class perfect.
  assert.equal(meanIoU({ values, classes: 4 }, [0, 1, 2, 2, 1], [1, 0, 1, 1, 1]), 1);
  // A class predicted but never labelled counts, with IoU 0: labels 0, 0; argmax 0, 1 -> (1/2 + 0)/2.
  assertClose(meanIoU({ values: [1, 0, 0, 1], classes: 2 }, [0, 0]), 1 / 4);
  assert.equal(meanIoU({ values: [1, 0], classes: 2 }, [0], [0]), null);
  assert.equal(meanIoU({ values: [NaN, 0], classes: 2 }, [0]), null);
});

// ---------------------------------------------------------------- log loss

test('binaryLogLoss is the mean cross-entropy, clipped at 1e-15', () => {
  assertClose(binaryLogLoss([0.8, 0.4], [1, 0]), -(Math.log(0.8) + Math.log(0.6)) / 2);
  // A confident wrong answer costs about -ln(1e-15) ≈ 34.5, not Infinity. p = 1 clips to 1 - 1e-15,
  // whose complement in float64 is 1 - (1 - 1e-15) ≈ 0.99920e-15, exactly as in scikit-learn.
  const clippedWrong = (-Math.log(1 - (1 - 1e-15)) - Math.log(1e-15)) / 2;
  assertClose(binaryLogLoss([1, 0], [0, 1]), clippedWrong);
  assert.equal(binaryLogLoss([0.3], [1], [0]), null);
});

test('multiclassLogLoss clips, renormalizes rows and averages -ln p[label]', () => {
  const values = new Float64Array([0.7, 0.2, 0.1, 0.1, 0.1, 0.8]);
  assertClose(multiclassLogLoss({ values, classes: 3 }, [0, 2]), -(Math.log(0.7) + Math.log(0.8)) / 2, 1e-12);
  // Rows not summing to 1 are renormalized, as scikit-learn does: [2, 2] -> [0.5, 0.5].
  assertClose(multiclassLogLoss({ values: [2, 2], classes: 2 }, [1]), Math.log(2));
  assert.equal(multiclassLogLoss({ values, classes: 3 }, [0, Number.NaN], [0, 0]), null);
});

// ---------------------------------------------------------------- regression

test('mse and mae, with element and row masks', () => {
  assertClose(mse([1, 2, 3], [1, 3, 5]), 5 / 3);
  assertClose(mae([1, 2, 3], [1, 3, 5]), 1);
  assertClose(mse([1, 2, 3], [1, 3, 5], [1, 1, 0]), 1 / 2);
  // Two rows of two outputs; the second row is masked.
  assertClose(mae(new Float32Array([1, 2, 10, 10]), new Float32Array([0, 0, 0, 0]), [1, 0]), 1.5);
  assert.equal(mse([1], [2], [0]), null);
  assert.equal(mae([Number.NaN], [2]), null);
  assert.throws(() => mse([1, 2, 3], [1, 2, 3], [1, 1]), /does not divide/);
});

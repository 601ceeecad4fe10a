/**
 * tagging: a class per token. It reads a sequence [n, length, width]; its rows are the batch's token positions
 * (`perToken`): logits [n·length, k], labels int32 class indices [n·length], and a mask that is 0 at padding (and at a
 * token without a tag), so padding adds nothing to the loss or the metrics. Otherwise it is multiclass, per token:
 * ce loss; token accuracy, macro-F1 over the tags that occur, logloss.
 */
import type { HeadRuntime } from './head.js';
import { multiclass } from './multiclass.js';

export const tagging: HeadRuntime = {
  ...multiclass,
  perToken: true,
  examples: [
    // two sentences, [n=2, length=2]: the second sentence's second position is padding (mask 0), whatever its logits.
    // token losses: -log softmax([ln 3, 0])_0 = log(4/3); -log softmax([0, 0])_1 = log 2; -log softmax([0, ln 3])_1 = log(4/3)
    // mean over the 3 tokens; argmax predictions 0, (tie → 0), 1 against tags 0, 1, 1: accuracy 2/3;
    // F1: tag 0 precision 1/2, recall 1 → 2/3; tag 1 precision 1, recall 1/2 → 2/3; macro 2/3
    {
      loss: 'ce',
      logits: [[Math.log(3), 0], [0, 0], [0, Math.log(3)], [50, -50]],
      labels: [0, 1, 1, 0],
      mask: [1, 1, 1, 0],
      taskLoss: (2 * Math.log(4 / 3) + Math.LN2) / 3,
      predictions: [0.75, 0.25, 0.5, 0.5, 0.25, 0.75, 1, 0],
      metrics: { accuracy: 2 / 3, macro_f1: 2 / 3 },
    },
  ],
};

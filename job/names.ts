/**
 * The job's lists of names that the compiler reads as values, apart from the schemas in job.ts (which re-exports
 * them): importing job.ts loads TypeBox and builds every schema, which checking a program does not need.
 */

export const JOB_FORMAT = 'mtl-job';
export const JOB_VERSION = 3;

/** `pixel_accuracy`, `mean_iou`: a dense head's, over every labelled pixel of a split; `exact_match`, `token_f1`: a span head's. */
export const METRIC_KINDS = ['auc', 'accuracy', 'macro_f1', 'logloss', 'mse', 'mae', 'pixel_accuracy', 'mean_iou', 'exact_match', 'token_f1'] as const;
export const SELECTION_METRICS = ['loss', ...METRIC_KINDS] as const;

export const UNCERTAINTY_FORMS = ['regression', 'classification', 'by_head'] as const;
/** What an aggregation's task gradients are taken of (see `AggregationPlanSchema`). */
export const GRADIENTS_OF = ['parameters', 'representation'] as const;

export const ACCEPTANCE_SPLITS = ['valid', 'test'] as const;

/**
 * The shapes a `tokens` feature with `shape: true` tells apart, taken before lowercasing; a token's shape id is its
 * index here plus 1 (id 0 is padding). The first that applies: `digits` (it holds a digit), `punctuation` (no letter),
 * `lower` (no capital), `capitalised` (a capital first and none after), `upper` (no lowercase letter), `mixed`.
 */
export const TOKEN_SHAPES = ['digits', 'punctuation', 'lower', 'capitalised', 'upper', 'mixed'] as const;

/** What the loader needs to know about a feature's transform and column before reading any data. */
import type { ColumnType, DatasetPlan, FeaturePlan, TransformPlan } from '../../job/job.js';
import { UserError } from '../errors.js';

/** What encoding a dataset's rows needs of its plan: the declared columns (a model package keeps only these). */
export type DatasetColumns = Pick<DatasetPlan, 'columns'>;

export type FeatureKind = 'numeric' | 'category' | 'tokens' | 'image';

export function featureKind(transform: TransformPlan): FeatureKind {
  switch (transform.kind) {
    case 'standardize':
    case 'normalize':
    case 'raw':
      return 'numeric';
    case 'onehot':
    case 'embedding':
      return 'category';
    case 'tokens':
      return 'tokens';
    case 'image':
      return 'image';
  }
}

export function declaredColumnType(plan: DatasetColumns, column: string): ColumnType | undefined {
  return plan.columns.find((c) => c.name === column)?.type;
}

export function isListColumn(plan: DatasetColumns, column: string): boolean {
  return declaredColumnType(plan, column)?.startsWith('list<') ?? false;
}

/** Values per row of a numeric feature: 1 for a scalar column; its fixed length for a list column. */
export function numericFeatureLength(plan: DatasetColumns, feature: FeaturePlan): number {
  if (!isListColumn(plan, feature.column)) return 1;
  const dims = feature.shape;
  if (dims.length === 0 || dims.some((d) => typeof d !== 'number')) {
    throw new UserError(`feature ${feature.id} reads the list column "${feature.column}" but its shape ${JSON.stringify(dims)} is not a fixed size`);
  }
  return (dims as number[]).reduce((a, b) => a * b, 1);
}

export function imageLength(transform: Extract<TransformPlan, { kind: 'image' }>): number {
  return transform.shape.reduce((a, b) => a * b, 1);
}

/** Channels are the last axis of an image's shape (an image of shape [h, w] has one). */
export function imageChannels(transform: Extract<TransformPlan, { kind: 'image' }>): number {
  return transform.shape.length >= 3 ? transform.shape[transform.shape.length - 1]! : 1;
}

/** Whether an image feature is standardized per channel by statistics of the training split. */
export function fitsChannels(transform: Extract<TransformPlan, { kind: 'image' }>): boolean {
  return transform.normalize === 'per_channel';
}

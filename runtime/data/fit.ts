/**
 * Fitting: one streaming pass over each dataset that learns, from its training split only, what the
 * encoders need (mean/std, min/max, vocabularies, class names), counts the rows of every split, and
 * checks every row's numeric features (all splits), so bad values surface before training starts.
 */
import type { DatasetPlan, FeaturePlan, Job, TaskPlan, TransformPlan } from '../../job/job.js';
import type { FittedFeatures, SplitName } from './api.js';
import { UserError } from '../errors.js';
import type { Data } from 'apache-arrow';
import { categoricalView, cellReader, isPresent, listView, numericView, type CellValue } from './columns.js';
import { readDataset, type DatasetChunk, type DatasetFile } from './dataset-reader.js';
import { compileExpr } from './expr.js';
import { featureKind, fitsChannels, imageChannels, imageLength, isListColumn, numericFeatureLength } from './feature-kinds.js';
import { listLengthError, nonFiniteFeatureError, targetError } from './row-errors.js';
import { checksTarget, TargetChecker } from './target-check.js';
import { taskOfWidth } from './width.js';
import { SPLIT_NAMES, inSplit, splitId } from './split.js';
import { addCodeCounts, learnedTokenVocabulary, sortedClassNames, splitWords, topValues } from './vocab.js';
import { countSuffixes } from './subwords.js';

const TRAIN = splitId('train');

type FittedFeature = FittedFeatures['features'][string];

interface Fitter {
  observe(chunk: DatasetChunk): void;
  /** Stores what was learned (or throws a UserError for what cannot be learned from). */
  finish(fitted: FittedFeatures): void;
}

/** Count, mean and sum of squared deviations, merged batch by batch (Chan et al.) to stay accurate. */
class RunningMoments {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;

  merge(count: number, mean: number, m2: number, min: number, max: number): void {
    if (count === 0) return;
    const total = this.count + count;
    const delta = mean - this.mean;
    this.mean += (delta * count) / total;
    this.m2 += m2 + (delta * delta * this.count * count) / total;
    this.count = total;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }
}

class NumericFitter implements Fitter {
  private readonly moments = new RunningMoments();
  private readonly listLength: number | null;

  constructor(
    private readonly feature: FeaturePlan,
    plan: DatasetPlan,
  ) {
    this.listLength = isListColumn(plan, feature.column) ? numericFeatureLength(plan, feature) : null;
  }

  observe(chunk: DatasetChunk): void {
    const { feature } = this;
    const data = chunk.column(feature.column);
    const split = chunk.split;
    // Row r contributes values[starts[r] .. starts[r+1]) (one value per row for scalar columns).
    let starts: Int32Array | null = null;
    let view;
    if (this.listLength !== null) {
      const list = listView(data);
      for (let r = 0; r < chunk.length; r++) {
        const length = isPresent(list.validity, r) ? list.offsets[r + 1]! - list.offsets[r]! : null;
        if (length !== this.listLength) throw listLengthError(chunk, feature.column, r, length, this.listLength, feature.id);
      }
      starts = list.offsets;
      view = numericView(list.items);
    } else {
      view = numericView(data);
    }
    const { values, validity } = view;
    let n = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < chunk.length; r++) {
      const from = starts ? starts[r]! : r;
      const to = starts ? starts[r + 1]! : r + 1;
      for (let k = from; k < to; k++) {
        const v = values[k]!;
        if (!isPresent(validity, k) || !Number.isFinite(v)) {
          throw nonFiniteFeatureError(chunk, feature.column, r, isPresent(validity, k) ? v : null, feature.id);
        }
        if (split[r] === TRAIN) {
          n++;
          sum += v;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
    }
    if (n === 0 || feature.transform.kind === 'raw') return;
    const mean = sum / n;
    let m2 = 0;
    for (let r = 0; r < chunk.length; r++) {
      if (split[r] !== TRAIN) continue;
      const from = starts ? starts[r]! : r;
      const to = starts ? starts[r + 1]! : r + 1;
      for (let k = from; k < to; k++) {
        const d = values[k]! - mean;
        m2 += d * d;
      }
    }
    this.moments.merge(n, mean, m2, min, max);
  }

  finish(fitted: FittedFeatures): void {
    const m = this.moments;
    let result: FittedFeature = {};
    // Population statistics; with no training values, the identity transform.
    if (this.feature.transform.kind === 'standardize') {
      result = m.count > 0 ? { mean: m.mean, std: Math.sqrt(m.m2 / m.count) } : { mean: 0, std: 1 };
      if (!Number.isFinite(result.mean) || !Number.isFinite(result.std)) throw this.overflow('its mean and standard deviation');
    } else if (this.feature.transform.kind === 'normalize') {
      result = m.count > 0 ? { min: m.min, max: m.max } : { min: 0, max: 1 };
      if (!Number.isFinite(m.max - m.min)) throw this.overflow('its range (max - min)');
    }
    fitted.features[this.feature.id] = result;
  }

  /** Statistics that overflow would zero the feature in every row (x / Infinity); refused, naming the magnitude. */
  private overflow(what: string): UserError {
    const { column, id, transform } = this.feature;
    const magnitude = Math.max(Math.abs(this.moments.min), Math.abs(this.moments.max));
    return new UserError(
      `column "${column}": the training split holds values as large as ${magnitude.toPrecision(3)} in magnitude, so ${what} cannot be computed as finite numbers; feature ${id} (${transform.kind}) needs values below about 1e150 (rescale the column, e.g. take its log, or drop the outlying rows)`,
    );
  }
}

class CategoryFitter implements Fitter {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly feature: FeaturePlan,
    private readonly transform: Extract<TransformPlan, { kind: 'onehot' | 'embedding' }>,
  ) {}

  observe(chunk: DatasetChunk): void {
    const { codes, dictionary } = categoricalView(chunk.column(this.feature.column));
    const perCode = new Int32Array(dictionary.length);
    for (let r = 0; r < chunk.length; r++) {
      const code = codes[r]!;
      if (code >= 0 && chunk.split[r] === TRAIN) perCode[code]!++;
    }
    addCodeCounts(this.counts, perCode, dictionary);
  }

  finish(fitted: FittedFeatures): void {
    const { maxVocab, minCount } = this.transform;
    const vocab =
      this.transform.kind === 'onehot'
        ? topValues(this.counts, maxVocab, minCount)
        : learnedTokenVocabulary(this.counts, maxVocab, minCount);
    fitted.features[this.feature.id] = { vocab };
  }
}

class TokenFitter implements Fitter {
  private readonly counts = new Map<string, number>();
  private readonly suffixCounts = new Map<string, number>();
  private readonly suffixes: number;
  private readonly listColumn: boolean;

  constructor(
    private readonly feature: FeaturePlan,
    private readonly transform: Extract<TransformPlan, { kind: 'tokens' }>,
    plan: DatasetPlan,
  ) {
    this.listColumn = isListColumn(plan, feature.column);
    this.suffixes = transform.suffixes ?? 0;
  }

  observe(chunk: DatasetChunk): void {
    const data = chunk.column(this.feature.column);
    if (this.listColumn) {
      const list = listView(data);
      const { codes, dictionary } = categoricalView(list.items);
      const perCode = new Int32Array(dictionary.length);
      for (let r = 0; r < chunk.length; r++) {
        if (chunk.split[r] !== TRAIN || !isPresent(list.validity, r)) continue;
        for (let k = list.offsets[r]!; k < list.offsets[r + 1]!; k++) {
          const code = codes[k]!;
          if (code >= 0) perCode[code]!++;
        }
      }
      addCodeCounts(this.counts, perCode, dictionary, this.transform.lowercase);
      this.countSuffixes(perCode, dictionary);
      return;
    }
    // A string column: count each distinct text once per batch, then split it into words.
    const { codes, dictionary } = categoricalView(data);
    const perCode = new Int32Array(dictionary.length);
    for (let r = 0; r < chunk.length; r++) {
      const code = codes[r]!;
      if (code >= 0 && chunk.split[r] === TRAIN) perCode[code]!++;
    }
    for (let code = 0; code < perCode.length; code++) {
      const n = perCode[code]!;
      if (n === 0) continue;
      const text = this.transform.lowercase ? dictionary[code]!.toLowerCase() : dictionary[code]!;
      for (const word of splitWords(text)) {
        this.counts.set(word, (this.counts.get(word) ?? 0) + n);
        if (this.suffixes > 0) countSuffixes(this.suffixCounts, word, this.suffixes, n);
      }
    }
  }

  /** Each suffix of a token counts once per time the token occurs. */
  private countSuffixes(perCode: Int32Array, dictionary: readonly string[]): void {
    if (this.suffixes === 0) return;
    for (let code = 0; code < perCode.length; code++) {
      if (perCode[code]! > 0) countSuffixes(this.suffixCounts, dictionary[code]!, this.suffixes, perCode[code]!);
    }
  }

  finish(fitted: FittedFeatures): void {
    const { maxVocab, minCount } = this.transform;
    const vocab = learnedTokenVocabulary(this.counts, maxVocab, minCount);
    fitted.features[this.feature.id] = this.suffixes > 0 ? { vocab, suffixVocab: learnedTokenVocabulary(this.suffixCounts, maxVocab, minCount) } : { vocab };
  }
}

/**
 * Images: every row must hold an image of the right size; with `normalize: 'per_channel'`, each channel's mean and
 * standard deviation over the training split's pixels, after the fixed (pixel · scale − mean) / std.
 */
class ImageFitter implements Fitter {
  private readonly channels: RunningMoments[];

  constructor(
    private readonly feature: FeaturePlan,
    private readonly transform: Extract<TransformPlan, { kind: 'image' }>,
  ) {
    this.channels = fitsChannels(transform) ? Array.from({ length: imageChannels(transform) }, () => new RunningMoments()) : [];
  }

  observe(chunk: DatasetChunk): void {
    const list = listView(chunk.column(this.feature.column));
    const expected = imageLength(this.transform);
    for (let r = 0; r < chunk.length; r++) {
      const length = isPresent(list.validity, r) ? list.offsets[r + 1]! - list.offsets[r]! : null;
      if (length !== expected) throw listLengthError(chunk, this.feature.column, r, length, expected, this.feature.id);
    }
    if (this.channels.length > 0) this.observeChannels(chunk, list.offsets, numericView(list.items));
  }

  /** Per channel, this chunk's count, mean and squared deviations over its training rows, merged into the totals. */
  private observeChannels(chunk: DatasetChunk, starts: Int32Array, { values, validity }: ReturnType<typeof numericView>): void {
    const { scale, mean: shift, std: divisor } = this.transform;
    const c = this.channels.length;
    const sum = new Float64Array(c);
    const min = new Float64Array(c).fill(Infinity);
    const max = new Float64Array(c).fill(-Infinity);
    let rows = 0;
    const value = (k: number) => (values[k]! * scale - shift) / divisor;
    for (let r = 0; r < chunk.length; r++) {
      const from = starts[r]!;
      for (let k = from, j = 0; k < starts[r + 1]!; k++, j++) {
        const v = value(k);
        if (!isPresent(validity, k) || !Number.isFinite(v)) {
          throw nonFiniteFeatureError(chunk, this.feature.column, r, isPresent(validity, k) ? values[k]! : null, this.feature.id);
        }
        if (chunk.split[r] !== TRAIN) continue;
        sum[j % c] += v;
        if (v < min[j % c]!) min[j % c] = v;
        if (v > max[j % c]!) max[j % c] = v;
      }
      if (chunk.split[r] === TRAIN) rows++;
    }
    if (rows === 0) return;
    const perChannel = (rows * imageLength(this.transform)) / c;
    const means = Array.from(sum, (s) => s / perChannel);
    const m2 = new Float64Array(c);
    for (let r = 0; r < chunk.length; r++) {
      if (chunk.split[r] !== TRAIN) continue;
      for (let k = starts[r]!, j = 0; k < starts[r + 1]!; k++, j++) {
        const d = value(k) - means[j % c]!;
        m2[j % c] += d * d;
      }
    }
    this.channels.forEach((m, j) => m.merge(perChannel, means[j]!, m2[j]!, min[j]!, max[j]!));
  }

  finish(fitted: FittedFeatures): void {
    if (this.channels.length === 0) {
      fitted.features[this.feature.id] = {};
      return;
    }
    // Population statistics; with no training rows, the identity. A constant channel is only centred.
    const channelMean = this.channels.map((m) => (m.count > 0 ? m.mean : 0));
    const channelStd = this.channels.map((m) => (m.count > 0 ? Math.sqrt(m.m2 / m.count) : 1));
    fitted.features[this.feature.id] = { channelMean, channelStd };
  }
}

/**
 * The classes of a task whose head learns them from the training split: class names in sorted order
 * for string targets (`classes: 'vocab'`); for class indices with no class count given
 * (`units: { vocab: "task:NAME" }`), '0' … String(max index), so every index seen in training fits.
 */
class ClassFitter implements Fitter {
  private readonly seen = new Set<string>();
  private maxIndex = -1;
  private readonly byName: boolean;

  constructor(private readonly task: TaskPlan) {
    this.byName = task.head.classes === 'vocab';
  }

  observe(chunk: DatasetChunk): void {
    const { target } = this.task;
    if (this.task.targetType.startsWith('list<')) {
      if (!('col' in target)) throw new Error(`task ${this.task.name}: a list target must be a column`);
      const list = listView(chunk.column(target.col));
      for (let r = 0; r < chunk.length; r++) {
        if (chunk.split[r] !== TRAIN || !isPresent(list.validity, r)) continue;
        this.observeItems(chunk, r, list.items, list.offsets[r]!, list.offsets[r + 1]!);
      }
      return;
    }
    const value = compileExpr(target, (name) => cellReader(chunk.column(name)));
    for (let r = 0; r < chunk.length; r++) {
      if (chunk.split[r] !== TRAIN) continue;
      const v = value(r);
      if (v !== null) this.add(chunk, r, v);
    }
  }

  private itemsView: { data: Data; read: (k: number) => CellValue } | null = null;

  private observeItems(chunk: DatasetChunk, row: number, items: Data, from: number, to: number): void {
    if (this.itemsView?.data !== items) this.itemsView = { data: items, read: cellReader(items) };
    for (let k = from; k < to; k++) {
      const v = this.itemsView.read(k);
      if (v !== null) this.add(chunk, row, v);
    }
  }

  private add(chunk: DatasetChunk, row: number, v: number | string | boolean): void {
    if (this.byName) {
      this.seen.add(String(v));
      return;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw targetError(this.task, chunk, row, v, `a ${this.task.head.kind} head with class indices holds integers from 0`);
    }
    if (v > this.maxIndex) this.maxIndex = v;
  }

  finish(fitted: FittedFeatures): void {
    fitted.classes[this.task.name] = this.byName
      ? sortedClassNames(this.seen)
      : Array.from({ length: this.maxIndex + 1 }, (_, i) => String(i));
  }
}

/** Whether the loader learns a task's classes: string classes, or a class count left to the data. */
export function learnsClasses(task: TaskPlan): boolean {
  return task.head.classes === 'vocab' || taskOfWidth(task.head.units) !== null;
}

function featureFitter(feature: FeaturePlan, plan: DatasetPlan): Fitter {
  const t = feature.transform;
  switch (featureKind(t)) {
    case 'numeric':
      return new NumericFitter(feature, plan);
    case 'category':
      return new CategoryFitter(feature, t as Extract<TransformPlan, { kind: 'onehot' | 'embedding' }>);
    case 'tokens':
      return new TokenFitter(feature, t as Extract<TransformPlan, { kind: 'tokens' }>, plan);
    case 'image':
      return new ImageFitter(feature, t as Extract<TransformPlan, { kind: 'image' }>);
  }
}

/** Fits every feature and task of `job` over its datasets' training splits. */
export async function fitJob(job: Job, files: ReadonlyMap<string, readonly DatasetFile[]>): Promise<FittedFeatures> {
  const fitted: FittedFeatures = { features: {}, classes: {}, rows: {} };
  for (const plan of job.datasets) {
    const fitters: Fitter[] = [
      ...job.features.filter((f) => f.dataset === plan.name).map((f) => featureFitter(f, plan)),
      ...job.tasks.filter((t) => t.dataset === plan.name && learnsClasses(t)).map((t) => new ClassFitter(t)),
      ...job.tasks.filter((t) => t.dataset === plan.name && checksTarget(t)).map((t) => new TargetChecker(t)),
    ];
    const rows: Record<SplitName, number> = { train: 0, valid: 0, test: 0 };
    for await (const chunk of readDataset(plan, files.get(plan.name) ?? [])) {
      for (let r = 0; r < chunk.length; r++) {
        for (const name of SPLIT_NAMES) if (inSplit(chunk.split[r]!, name)) rows[name]++;
      }
      for (const fitter of fitters) fitter.observe(chunk);
    }
    for (const fitter of fitters) fitter.finish(fitted);
    fitted.rows[plan.name] = rows;
  }
  return fitted;
}

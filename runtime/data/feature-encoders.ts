/**
 * Encoders of features into a stored row (see row-layout.ts). Each validates what it reads:
 * a null or non-finite number, or a list of the wrong length, is a UserError naming file, column and row.
 */
import type { FeaturePlan, TransformPlan } from '../../job/job.js';
import type { FittedFeatures } from './api.js';
import { categoricalView, type CategoryCodes, isPresent, listView, numericView, type NumericArray, type Validity } from './columns.js';
import type { DatasetChunk } from './dataset-reader.js';
import { fitsChannels, imageChannels, imageLength, isListColumn, numericFeatureLength, type DatasetColumns } from './feature-kinds.js';
import { listLengthError, nonFiniteFeatureError } from './row-errors.js';
import { encodeEach, type RowEncoder, type RowLayout, type RowStore } from './row-layout.js';
import { PAD_ID, UNKNOWN_ID, VocabularyLookup, splitWords } from './vocab.js';
import { idsPerToken, SubwordLookup } from './subwords.js';

type Fitted = FittedFeatures['features'][string];

/** Where an encoded feature sits in the stored row: the float or int area, its offset and length. */
export interface FeatureSlots {
  readonly area: 'float' | 'int';
  readonly offset: number;
  readonly length: number;
}

export interface FeatureEncoder extends RowEncoder {
  readonly feature: FeaturePlan;
  readonly slots: FeatureSlots;
}

const NO_VALIDITY: Validity = { bits: null, offset: 0 };
const EMPTY = new Float64Array(0);

/**
 * Numbers or fixed-length lists of numbers through (x · scale - center) / divisor; images are a special case, whose
 * values may then be standardized per channel (the last axis: value j is in channel j mod channels).
 */
class AffineEncoder implements FeatureEncoder {
  readonly slots: FeatureSlots;
  private readonly listColumn: boolean;
  private chunk: DatasetChunk | null = null;
  private values: NumericArray = EMPTY;
  private validity = NO_VALIDITY;
  private starts: Int32Array | null = null;
  private listValidity = NO_VALIDITY;
  private channelCenter: Float64Array | null = null;
  private channelDivisor: Float64Array | null = null;

  constructor(
    readonly feature: FeaturePlan,
    listColumn: boolean,
    length: number,
    private readonly scale: number,
    private readonly center: number,
    private readonly divisor: number,
    layout: RowLayout,
  ) {
    this.listColumn = listColumn;
    this.slots = { area: 'float', offset: layout.reserveFloats(length), length };
  }

  /** Then (value - center[c]) / divisor[c] for each value of channel c. */
  thenPerChannel(center: readonly number[], divisor: readonly number[]): this {
    this.channelCenter = Float64Array.from(center);
    this.channelDivisor = Float64Array.from(divisor);
    return this;
  }

  bind(chunk: DatasetChunk): void {
    this.chunk = chunk;
    const data = chunk.column(this.feature.column);
    if (this.listColumn) {
      const list = listView(data);
      this.starts = list.offsets;
      this.listValidity = list.validity;
      ({ values: this.values, validity: this.validity } = numericView(list.items));
    } else {
      ({ values: this.values, validity: this.validity } = numericView(data));
    }
  }

  encode(row: number, floats: Float32Array, floatBase: number): void {
    const { values, validity, scale, center, divisor } = this;
    const out = floatBase + this.slots.offset;
    if (this.starts === null) {
      const v = values[row]!;
      if (!Number.isFinite(v) || !isPresent(validity, row)) this.fail(row, row);
      floats[out] = (v * scale - center) / divisor;
      return;
    }
    const from = this.starts[row]!;
    const length = this.starts[row + 1]! - from;
    if (length !== this.slots.length || !isPresent(this.listValidity, row)) {
      const found = isPresent(this.listValidity, row) ? length : null;
      throw listLengthError(this.chunk!, this.feature.column, row, found, this.slots.length, this.feature.id);
    }
    for (let j = 0; j < length; j++) {
      const v = values[from + j]!;
      if (!Number.isFinite(v) || !isPresent(validity, from + j)) this.fail(row, from + j);
      floats[out + j] = (v * scale - center) / divisor;
    }
    const { channelCenter, channelDivisor } = this;
    if (channelCenter === null || channelDivisor === null) return;
    const channels = channelCenter.length;
    for (let j = 0; j < length; j++) {
      const c = j % channels;
      // From the float64 value, not the float32 stored one, so the fitted statistics apply to what they were fitted on.
      floats[out + j] = ((values[from + j]! * scale - center) / divisor - channelCenter[c]!) / channelDivisor[c]!;
    }
  }

  encodeRows(rows: Int32Array, count: number, into: RowStore): boolean {
    if (this.starts !== null) return encodeEach(this, rows, count, into);
    const { values, scale, center, divisor } = this;
    const bits = this.validity.bits;
    const bitOffset = this.validity.offset;
    const floats = into.floats;
    const stride = into.layout.floats;
    let out = this.slots.offset;
    for (let k = 0; k < count; k++, out += stride) {
      const row = rows[k]!;
      const v = values[row]!;
      if (!Number.isFinite(v)) return false;
      if (bits !== null) {
        const bit = bitOffset + row;
        if (((bits[bit >> 3]! >> (bit & 7)) & 1) === 0) return false;
      }
      floats[out] = (v * scale - center) / divisor;
    }
    return true;
  }

  private fail(row: number, index: number): never {
    const value = isPresent(this.validity, index) ? this.values[index]! : null;
    throw nonFiniteFeatureError(this.chunk!, this.feature.column, row, value, this.feature.id);
  }
}

/** A category's vocabulary id (one-hot: -1 when unseen or null; embedding: '<unk>'). */
class CategoryEncoder implements FeatureEncoder {
  readonly slots: FeatureSlots;
  private codes: CategoryCodes = new Int32Array(0);
  private table: Int32Array = new Int32Array(0);

  constructor(
    readonly feature: FeaturePlan,
    private readonly lookup: VocabularyLookup,
    layout: RowLayout,
  ) {
    this.slots = { area: 'int', offset: layout.reserveInts(1), length: 1 };
  }

  bind(chunk: DatasetChunk): void {
    const { codes, dictionary } = categoricalView(chunk.column(this.feature.column));
    this.codes = codes;
    this.table = this.lookup.tableFor(dictionary);
  }

  encode(row: number, _floats: Float32Array, _floatBase: number, ints: Int32Array, intBase: number): void {
    const code = this.codes[row]!;
    ints[intBase + this.slots.offset] = code < 0 ? this.lookup.unknownId : this.table[code]!;
  }

  encodeRows(rows: Int32Array, count: number, into: RowStore): boolean {
    const { codes, table } = this;
    const unknownId = this.lookup.unknownId;
    const ints = into.ints;
    const stride = into.layout.ints;
    let out = this.slots.offset;
    for (let k = 0; k < count; k++, out += stride) {
      const code = codes[rows[k]!]!;
      ints[out] = code < 0 ? unknownId : table[code]!;
    }
    return true;
  }
}

/**
 * Token ids, truncated or padded (with PAD_ID) to maxLength: per position the word id, then (with `subwords`) its
 * suffix and shape ids (subwords.ts), `idsPerToken` in all.
 */
export class TokenEncoder implements FeatureEncoder {
  readonly slots: FeatureSlots;
  readonly idsPerToken: number;
  private starts: Int32Array | null = null;
  private listValidity = NO_VALIDITY;
  private codes: CategoryCodes = new Int32Array(0);
  private table: Int32Array = new Int32Array(0);
  private subwordTable: Int32Array = new Int32Array(0);
  private dictionary: readonly string[] = [];
  /** For string columns: the ids of each distinct text of the current dictionary (idsPerToken per word). */
  private readonly textIds = new WeakMap<readonly string[], (Int32Array | undefined)[]>();

  constructor(
    readonly feature: FeaturePlan,
    private readonly lookup: VocabularyLookup,
    private readonly subwords: SubwordLookup | null,
    private readonly listColumn: boolean,
    maxLength: number,
    layout: RowLayout,
  ) {
    this.idsPerToken = 1 + (subwords?.perToken ?? 0);
    this.slots = { area: 'int', offset: layout.reserveInts(maxLength * this.idsPerToken), length: maxLength * this.idsPerToken };
  }

  /** Token positions per row. */
  get maxLength(): number {
    return this.slots.length / this.idsPerToken;
  }

  bind(chunk: DatasetChunk): void {
    const data = chunk.column(this.feature.column);
    if (this.listColumn) {
      const list = listView(data);
      this.starts = list.offsets;
      this.listValidity = list.validity;
      const { codes, dictionary } = categoricalView(list.items);
      this.codes = codes;
      this.table = this.lookup.tableFor(dictionary);
      if (this.subwords) this.subwordTable = this.subwords.tableFor(dictionary);
    } else {
      const { codes, dictionary } = categoricalView(data);
      this.codes = codes;
      this.dictionary = dictionary;
    }
  }

  /** How many tokens row `row` has before truncation (for aligning tagging targets). */
  tokenCount(row: number): number {
    if (this.starts !== null) return isPresent(this.listValidity, row) ? this.starts[row + 1]! - this.starts[row]! : 0;
    const code = this.codes[row]!;
    return code < 0 ? 0 : this.idsOfText(code).length / this.idsPerToken;
  }

  encode(row: number, _floats: Float32Array, _floatBase: number, ints: Int32Array, intBase: number): void {
    const out = intBase + this.slots.offset;
    const stride = this.idsPerToken;
    const perToken = stride - 1;
    let n = 0;
    if (this.starts !== null) {
      if (isPresent(this.listValidity, row)) {
        const from = this.starts[row]!;
        n = Math.min(this.maxLength, this.starts[row + 1]! - from);
        for (let j = 0; j < n; j++) {
          const code = this.codes[from + j]!;
          const at = out + j * stride;
          ints[at] = code < 0 ? UNKNOWN_ID : this.table[code]!;
          // A null token has no suffixes and no shape.
          for (let k = 0; k < perToken; k++) ints[at + 1 + k] = code < 0 ? PAD_ID : this.subwordTable[code * perToken + k]!;
        }
      }
    } else if (this.codes[row]! >= 0) {
      const ids = this.idsOfText(this.codes[row]!);
      n = Math.min(this.maxLength, ids.length / stride);
      ints.set(ids.subarray(0, n * stride), out);
    }
    ints.fill(PAD_ID, out + n * stride, out + this.slots.length);
  }

  private idsOfText(code: number): Int32Array {
    let perText = this.textIds.get(this.dictionary);
    if (!perText) this.textIds.set(this.dictionary, (perText = []));
    let ids = perText[code];
    if (!ids) {
      const words = splitWords(this.dictionary[code]!);
      ids = new Int32Array(words.length * this.idsPerToken);
      words.forEach((word, j) => {
        ids![j * this.idsPerToken] = this.lookup.id(word);
        this.subwords?.write(word, ids!, j * this.idsPerToken + 1);
      });
      perText[code] = ids;
    }
    return ids;
  }
}

function fittedNumber(fitted: Fitted | undefined, key: 'mean' | 'std' | 'min' | 'max', feature: FeaturePlan): number {
  const value = fitted?.[key];
  if (typeof value !== 'number') throw new Error(`feature ${feature.id}: no fitted ${key}`);
  return value;
}

function fittedVocabulary(fitted: Fitted | undefined, feature: FeaturePlan): string[] {
  if (!fitted?.vocab) throw new Error(`feature ${feature.id}: no fitted vocabulary`);
  return fitted.vocab;
}

/** Vocabulary lookups are shared by every stream of the job, so their per-dictionary tables are built once. */
export type LookupCache = Map<string, VocabularyLookup>;

/** The encoder of `feature`, reserving its slots in `layout`. */
export function createFeatureEncoder(
  feature: FeaturePlan,
  plan: DatasetColumns,
  fitted: FittedFeatures,
  layout: RowLayout,
  lookups: LookupCache,
): FeatureEncoder {
  const t: TransformPlan = feature.transform;
  const f = fitted.features[feature.id];
  const lookup = (unknownId: number, lowercase: boolean) => {
    let l = lookups.get(feature.id);
    if (!l) lookups.set(feature.id, (l = new VocabularyLookup(fittedVocabulary(f, feature), unknownId, lowercase)));
    return l;
  };
  const list = isListColumn(plan, feature.column);
  switch (t.kind) {
    case 'standardize': {
      const std = fittedNumber(f, 'std', feature);
      return new AffineEncoder(feature, list, numericFeatureLength(plan, feature), 1, fittedNumber(f, 'mean', feature), std > 0 ? std : 1, layout);
    }
    case 'normalize': {
      const min = fittedNumber(f, 'min', feature);
      const range = fittedNumber(f, 'max', feature) - min;
      return new AffineEncoder(feature, list, numericFeatureLength(plan, feature), 1, min, range > 0 ? range : 1, layout);
    }
    case 'raw':
      return new AffineEncoder(feature, list, numericFeatureLength(plan, feature), 1, 0, 1, layout);
    case 'image': {
      const encoder = new AffineEncoder(feature, true, imageLength(t), t.scale, t.mean, t.std, layout);
      if (!fitsChannels(t)) return encoder;
      const mean = f?.channelMean;
      const std = f?.channelStd;
      if (!mean || !std || mean.length !== imageChannels(t) || std.length !== mean.length) throw new Error(`feature ${feature.id}: no fitted channel statistics`);
      return encoder.thenPerChannel(mean, std.map((s) => (s > 0 ? s : 1)));
    }
    case 'onehot':
      return new CategoryEncoder(feature, lookup(-1, false), layout);
    case 'embedding':
      return new CategoryEncoder(feature, lookup(UNKNOWN_ID, false), layout);
    case 'tokens': {
      if ((t.suffixes ?? 0) > 0 && !f?.suffixVocab) throw new Error(`feature ${feature.id}: no fitted suffix vocabulary`);
      const subwords = idsPerToken(t) > 1 ? new SubwordLookup(f?.suffixVocab ?? [], t.suffixes ?? 0, t.shape ?? false) : null;
      return new TokenEncoder(feature, lookup(UNKNOWN_ID, t.lowercase), subwords, list, t.maxLength, layout);
    }
  }
}

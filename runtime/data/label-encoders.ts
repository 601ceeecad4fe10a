/**
 * Encoders of task targets into a stored row: the label value(s) and a mask (1 = labelled).
 * A null target masks the row; a value the head cannot hold is a UserError naming task, value,
 * column and row.
 */
import type { TaskPlan } from '../../job/job.js';
import type { SpanCount } from './api.js';
import { DataType } from 'apache-arrow';
import { UserError, isUserError } from '../errors.js';
import { categoricalView, type CategoryCodes, type CellValue, cellReader, isPresent, listView, numericView, type NumericArray, type Validity } from './columns.js';
import type { DatasetChunk } from './dataset-reader.js';
import { compileExpr, exprColumns, type RowFunction } from './expr.js';
import type { FeatureSlots, TokenEncoder } from './feature-encoders.js';
import { indexRange, targetError, targetProblem } from './row-errors.js';
import { encodeEach, type RowEncoder, type RowLayout, type RowStore } from './row-layout.js';
import { VocabularyLookup } from './vocab.js';

export interface LabelEncoder extends RowEncoder {
  readonly task: TaskPlan;
  readonly values: FeatureSlots;
  /** Always in the float area. */
  readonly mask: FeatureSlots;
  /** Shape of one row's label, without the batch axis: [] for one value per row. */
  readonly rowShape: number[];
}


const NO_VALIDITY: Validity = { bits: null, offset: 0 };

function classRangeExpectation(kind: string, units: number, learned: boolean): string {
  const count = learned ? `${units} classes (learned from the training split)` : `${units} classes`;
  return `a ${kind} head with ${count} holds class indices ${indexRange(units)}`;
}

/** Binary, regression, multiclass and objective heads: one value per row, from the target expression. */
class ScalarLabelEncoder implements LabelEncoder {
  readonly values: FeatureSlots;
  readonly mask: FeatureSlots;
  readonly rowShape: number[] = [];
  private chunk: DatasetChunk | null = null;
  private target: RowFunction = () => null;

  constructor(
    readonly task: TaskPlan,
    /** Class count of a multiclass head. */
    private readonly units: number,
    private readonly unitsLearned: boolean,
    /** Class ids of a multiclass head whose classes were learned; null for class indices. */
    private readonly classes: VocabularyLookup | null,
    layout: RowLayout,
  ) {
    const integer = task.head.kind === 'multiclass';
    this.values = integer ? { area: 'int', offset: layout.reserveInts(1), length: 1 } : { area: 'float', offset: layout.reserveFloats(1), length: 1 };
    this.mask = { area: 'float', offset: layout.reserveFloats(1), length: 1 };
  }

  bind(chunk: DatasetChunk): void {
    this.chunk = chunk;
    this.target = compileExpr(this.task.target, (name) => cellReader(chunk.column(name)));
    this.byCategory = undefined;
  }

  encode(row: number, floats: Float32Array, floatBase: number, ints: Int32Array, intBase: number): void {
    const x = this.encodedValue(this.target(row), row);
    const labelled = x === x;
    floats[floatBase + this.mask.offset] = labelled ? 1 : 0;
    if (this.values.area === 'int') ints[intBase + this.values.offset] = labelled ? x : 0;
    else floats[floatBase + this.values.offset] = labelled ? x : 0;
  }

  /**
   * A target that reads one string column (or none) takes as many values as the column's dictionary has entries: it is
   * worked out once per entry, and each row looks its entry's up. Other targets go row by row.
   */
  encodeRows(rows: Int32Array, count: number, into: RowStore): boolean {
    if (this.byCategory === undefined) this.byCategory = this.labelsByCategory();
    if (this.byCategory === null) return encodeEach(this, rows, count, into);
    const { codes, labels } = this.byCategory;
    const floats = into.floats;
    const values = this.values.area === 'int' ? into.ints : into.floats;
    const valueStride = this.values.area === 'int' ? into.layout.ints : into.layout.floats;
    const maskStride = into.layout.floats;
    let valueAt = this.values.offset;
    let maskAt = this.mask.offset;
    for (let k = 0; k < count; k++, valueAt += valueStride, maskAt += maskStride) {
      const x = labels[codes === null ? 0 : codes[rows[k]!]! + 1]!;
      if (x === Infinity) return false;
      const labelled = x === x;
      floats[maskAt] = labelled ? 1 : 0;
      values[valueAt] = labelled ? x : 0;
    }
    return true;
  }

  /** The current chunk's labels by category, worked out on first use (undefined: not yet; null: row by row). */
  private byCategory: { codes: CategoryCodes | null; labels: Float64Array } | null | undefined = undefined;

  /** The encoded value per category code + 1 (0: a null), NaN for a masked row, Infinity where `encode` throws. */
  private labelsByCategory(): { codes: CategoryCodes | null; labels: Float64Array } | null {
    const columns = exprColumns(this.task.target);
    if (columns.length > 1) return null;
    let codes: CategoryCodes | null = null;
    let dictionary: readonly string[] = [];
    if (columns.length === 1) {
      const data = this.chunk!.column(columns[0]!);
      if (!DataType.isDictionary(data.type) && !DataType.isUtf8(data.type)) return null;
      ({ codes, dictionary } = categoricalView(data));
      if (dictionary.length > this.chunk!.length) return null;
    }
    // What cellReader reads from a row, read here from its code.
    const target = compileExpr(this.task.target, () => (code) => (code < 0 ? null : dictionary[code]!));
    const labels = new Float64Array(dictionary.length + 1);
    for (let code = -1; code < dictionary.length; code++) {
      try {
        labels[code + 1] = this.encodedValue(target(code), 0);
      } catch (e) {
        if (!isUserError(e)) throw e;
        labels[code + 1] = Infinity;
      }
    }
    return { codes, labels };
  }

  /** The label of target value `v`, NaN when the row is unlabelled. */
  private encodedValue(v: CellValue, row: number): number {
    if (v === null) return NaN;
    if (this.task.head.kind === 'multiclass') {
      const id = this.classId(v, row);
      return id < 0 ? NaN : id;
    }
    const x = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    if (this.task.head.kind === 'binary') {
      if (x !== 0 && x !== 1) throw targetError(this.task, this.chunk!, row, v, 'a binary head holds 0 or 1');
    } else if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw targetError(this.task, this.chunk!, row, v, 'a regression head needs a finite number');
    }
    return x as number;
  }

  /** The class id of a target value; -1 for a learned class that the training split never had. */
  private classId(v: number | string | boolean, row: number): number {
    if (this.classes) return this.classes.id(String(v));
    // A count learned from the training split may miss larger indices elsewhere: like unseen class names, they are masked.
    if (this.unitsLearned && typeof v === 'number' && Number.isInteger(v) && v >= this.units) return -1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= this.units) {
      throw targetError(this.task, this.chunk!, row, v, classRangeExpectation('multiclass', this.units, this.unitsLearned));
    }
    return v;
  }
}

/**
 * A target held as a list of numbers of one length per row (multilabel, dense): the list column's views for the
 * bound chunk, where a row's items start, and each item or null.
 */
abstract class NumericListLabels {
  protected chunk: DatasetChunk | null = null;
  private starts: Int32Array = new Int32Array(1);
  private listValidity = NO_VALIDITY;
  private items: NumericArray = new Float64Array(0);
  private itemValidity = NO_VALIDITY;

  constructor(
    readonly task: TaskPlan,
    private readonly column: string,
  ) {}

  bind(chunk: DatasetChunk): void {
    this.chunk = chunk;
    const list = listView(chunk.column(this.column));
    this.starts = list.offsets;
    this.listValidity = list.validity;
    ({ values: this.items, validity: this.itemValidity } = numericView(list.items));
  }

  /** Where `row`'s items start, or null when its list is null; a list of another length than `length` is an error. */
  protected listAt(row: number, length: number, expected: string): number | null {
    if (!isPresent(this.listValidity, row)) return null;
    const from = this.starts[row]!;
    const found = this.starts[row + 1]! - from;
    if (found !== length) throw targetProblem(this.task, this.chunk!, row, `a list of ${found} values`, expected);
    return from;
  }

  protected item(at: number): number | null {
    return isPresent(this.itemValidity, at) ? this.items[at]! : null;
  }
}

/** Multilabel heads: a list of exactly `units` values, each 0 or 1 (or a boolean). */
class VectorLabelEncoder extends NumericListLabels implements LabelEncoder {
  readonly values: FeatureSlots;
  readonly mask: FeatureSlots;
  readonly rowShape: number[];

  constructor(task: TaskPlan, column: string, units: number, layout: RowLayout) {
    super(task, column);
    this.values = { area: 'float', offset: layout.reserveFloats(units), length: units };
    this.mask = { area: 'float', offset: layout.reserveFloats(1), length: 1 };
    this.rowShape = [units];
  }

  encode(row: number, floats: Float32Array, floatBase: number): void {
    const at = floatBase + this.values.offset;
    const units = this.values.length;
    const from = this.listAt(row, units, `its ${this.task.head.kind} head has ${units} units`);
    if (from === null) {
      floats.fill(0, at, at + units);
      floats[floatBase + this.mask.offset] = 0;
      return;
    }
    for (let j = 0; j < units; j++) {
      const v = this.item(from + j);
      if (v !== 0 && v !== 1) throw targetError(this.task, this.chunk!, row, v, `a multilabel head holds 0 or 1 per label (at position ${j})`);
      floats[at + j] = v;
    }
    floats[floatBase + this.mask.offset] = 1;
  }
}

/** Tagging heads: one class per token, aligned with the input's token sequence and padded with mask 0. */
class TaggingLabelEncoder implements LabelEncoder {
  readonly values: FeatureSlots;
  readonly mask: FeatureSlots;
  readonly rowShape: number[];
  private chunk: DatasetChunk | null = null;
  private starts: Int32Array = new Int32Array(1);
  private listValidity = NO_VALIDITY;
  /** Per tag: its class id (-1 = unknown class or null); from a lookup table or from integer items. */
  private codes: CategoryCodes = new Int32Array(0);
  private table: Int32Array | null = null;
  private indices: NumericArray = new Float64Array(0);
  private indexValidity = NO_VALIDITY;

  constructor(
    readonly task: TaskPlan,
    private readonly column: string,
    private readonly tokens: TokenEncoder,
    private readonly units: number,
    private readonly unitsLearned: boolean,
    private readonly classes: VocabularyLookup | null,
    layout: RowLayout,
  ) {
    const length = tokens.maxLength;
    this.values = { area: 'int', offset: layout.reserveInts(length), length };
    this.mask = { area: 'float', offset: layout.reserveFloats(length), length };
    this.rowShape = [length];
  }

  bind(chunk: DatasetChunk): void {
    this.chunk = chunk;
    const list = listView(chunk.column(this.column));
    this.starts = list.offsets;
    this.listValidity = list.validity;
    if (this.classes) {
      const { codes, dictionary } = categoricalView(list.items);
      this.codes = codes;
      this.table = this.classes.tableFor(dictionary);
    } else {
      ({ values: this.indices, validity: this.indexValidity } = numericView(list.items));
    }
  }

  encode(row: number, floats: Float32Array, floatBase: number, ints: Int32Array, intBase: number): void {
    const valueAt = intBase + this.values.offset;
    const maskAt = floatBase + this.mask.offset;
    const maxLength = this.values.length;
    ints.fill(0, valueAt, valueAt + maxLength);
    floats.fill(0, maskAt, maskAt + maxLength);
    if (!isPresent(this.listValidity, row)) return;
    const from = this.starts[row]!;
    const length = this.starts[row + 1]! - from;
    const tokenCount = this.tokens.tokenCount(row);
    if (length !== tokenCount) {
      throw new UserError(
        `target of task ${this.task.name} has ${length} tags for ${tokenCount} tokens of column "${this.tokens.feature.column}" ` +
          `(column "${this.column}", row ${this.chunk!.fileRowStart + row} of ${this.chunk!.file}); tags and tokens must align`,
      );
    }
    const n = Math.min(maxLength, length);
    for (let j = 0; j < n; j++) {
      const id = this.classId(from + j, row);
      if (id < 0) continue;
      ints[valueAt + j] = id;
      floats[maskAt + j] = 1;
    }
  }

  private classId(item: number, row: number): number {
    if (this.table) {
      const code = this.codes[item]!;
      return code < 0 ? -1 : this.table[code]!;
    }
    if (!isPresent(this.indexValidity, item)) return -1;
    const v = this.indices[item]!;
    if (this.unitsLearned && Number.isInteger(v) && v >= this.units) return -1; // see ScalarLabelEncoder.classId
    if (!Number.isInteger(v) || v < 0 || v >= this.units) {
      throw targetError(this.task, this.chunk!, row, v, classRangeExpectation('tagging', this.units, this.unitsLearned));
    }
    return v;
  }
}

/** Values of a dense head's target that mark a pixel unlabelled (besides null): -1, and 255 as in VOC and Cityscapes masks. */
export const UNLABELLED_PIXEL = [-1, 255] as const;

/** Dense heads: a class index per pixel of the input image, exactly `pixels` per row; an unlabelled pixel has mask 0. */
class PixelLabelEncoder extends NumericListLabels implements LabelEncoder {
  readonly values: FeatureSlots;
  readonly mask: FeatureSlots;
  readonly rowShape: number[];

  constructor(task: TaskPlan, column: string, pixels: number, private readonly units: number, layout: RowLayout) {
    super(task, column);
    this.values = { area: 'int', offset: layout.reserveInts(pixels), length: pixels };
    this.mask = { area: 'float', offset: layout.reserveFloats(pixels), length: pixels };
    this.rowShape = [pixels];
  }

  encode(row: number, floats: Float32Array, floatBase: number, ints: Int32Array, intBase: number): void {
    const valueAt = intBase + this.values.offset;
    const maskAt = floatBase + this.mask.offset;
    const pixels = this.values.length;
    ints.fill(0, valueAt, valueAt + pixels);
    floats.fill(0, maskAt, maskAt + pixels);
    const from = this.listAt(row, pixels, `its dense head labels the ${pixels} pixels of its input image, one class index each`);
    if (from === null) return;
    for (let j = 0; j < pixels; j++) {
      const v = this.item(from + j);
      if (v === null || (UNLABELLED_PIXEL as readonly number[]).includes(v)) continue;
      if (!Number.isInteger(v) || v < 0 || v >= this.units) {
        throw targetError(this.task, this.chunk!, row, v, `${classRangeExpectation('dense', this.units, false)} per pixel, or -1 or 255 for an unlabelled one (at pixel ${j})`);
      }
      ints[valueAt + j] = v;
      floats[maskAt + j] = 1;
    }
  }
}

/**
 * Span heads: [start, end], two token positions (0-based, inclusive) of the input's tokens. A span that ends past the
 * tokens kept (the tokens transform's max_length) leaves its row unlabelled, counted in `tally`; one past the row's
 * own tokens is an error.
 */
class SpanLabelEncoder extends NumericListLabels implements LabelEncoder {
  readonly values: FeatureSlots;
  readonly mask: FeatureSlots;
  readonly rowShape = [2];

  constructor(
    task: TaskPlan,
    column: string,
    private readonly tokens: TokenEncoder,
    private readonly tally: SpanCount | null,
    layout: RowLayout,
  ) {
    super(task, column);
    this.values = { area: 'int', offset: layout.reserveInts(2), length: 2 };
    this.mask = { area: 'float', offset: layout.reserveFloats(1), length: 1 };
  }

  encode(row: number, floats: Float32Array, floatBase: number, ints: Int32Array, intBase: number): void {
    const valueAt = intBase + this.values.offset;
    const maskAt = floatBase + this.mask.offset;
    ints[valueAt] = 0;
    ints[valueAt + 1] = 0;
    floats[maskAt] = 0;
    const from = this.listAt(row, 2, 'a span head holds [start, end]: two token positions');
    if (from === null) return;
    const [start, end] = [this.item(from), this.item(from + 1)];
    if (start === null || end === null) return;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      throw targetProblem(this.task, this.chunk!, row, `[${start}, ${end}]`, 'a span head holds [start, end]: token positions (0-based, inclusive) with 0 ≤ start ≤ end');
    }
    const count = this.tokens.tokenCount(row);
    if (end >= count) {
      throw targetProblem(this.task, this.chunk!, row, `[${start}, ${end}]`, `past the row's tokens in column "${this.tokens.feature.column}" (it has ${count})`);
    }
    if (this.tally) this.tally.rows++;
    if (end >= this.tokens.maxLength) {
      if (this.tally) this.tally.cut++;
      return;
    }
    ints[valueAt] = start;
    ints[valueAt + 1] = end;
    floats[maskAt] = 1;
  }
}

/** What a label encoder needs besides the task: resolved units, learned classes, the input's token encoder. */
export interface LabelContext {
  units: number;
  /** Whether `units` was learned from the training split (messages then say so). */
  unitsLearned: boolean;
  classes: readonly string[] | null;
  tokens: TokenEncoder | null;
  /** Height × width of the input's image (a dense head labels each pixel); null for an input that is not an image. */
  pixels: number | null;
  /** Where a span head counts the spans its rows hold and those the tokens' max_length cuts off (the training split's). */
  spans?: SpanCount;
}

function targetColumn(task: TaskPlan): string {
  if (!('col' in task.target)) throw new Error(`task ${task.name}: a ${task.head.kind} target must be a list column, not an expression`);
  return task.target.col;
}

export function createLabelEncoder(task: TaskPlan, context: LabelContext, layout: RowLayout): LabelEncoder {
  const classes = context.classes ? new VocabularyLookup(context.classes, -1) : null;
  switch (task.head.kind) {
    case 'binary':
    case 'regression':
    case 'multiclass':
    // An objective head reads no label: its target is the constant 0 (the job's `target`), encoded as a number.
    case 'objective':
      return new ScalarLabelEncoder(task, context.units, context.unitsLearned, classes, layout);
    case 'multilabel':
      return new VectorLabelEncoder(task, targetColumn(task), context.units, layout);
    case 'tagging':
      if (!context.tokens) throw new UserError(`task ${task.name} tags tokens, but its input ${task.input} has no tokens feature`);
      return new TaggingLabelEncoder(task, targetColumn(task), context.tokens, context.units, context.unitsLearned, classes, layout);
    case 'dense':
      if (context.pixels === null) throw new UserError(`task ${task.name} labels pixels, but its input ${task.input} is not an image`);
      return new PixelLabelEncoder(task, targetColumn(task), context.pixels, context.units, layout);
    case 'span':
      if (!context.tokens) throw new UserError(`task ${task.name} finds spans in tokens, but its input ${task.input} has no tokens feature`);
      return new SpanLabelEncoder(task, targetColumn(task), context.tokens, context.spans ?? null, layout);
  }
}

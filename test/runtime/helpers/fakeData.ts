/** In-memory JobData for runtime tests, and synthetic datasets whose labels a small model can learn. */
import type { Width, Job } from '../../../job/job.js';
import type { Batch, BatchOptions, FittedFeatures, JobData, LabelData, SplitName } from '../../../runtime/data/api.js';

export interface FakeLabels {
  values: Float32Array | Int32Array;
  /** Values per row (k for multilabel or vector regression). */
  width: number;
  /** Default: every row labelled. */
  mask?: Float32Array;
}

export interface FakeSplit {
  size: number;
  inputs: Record<string, { width: number; data: Float32Array }>;
  labels: Record<string, FakeLabels>;
}

export type FakeDataset = Record<SplitName, FakeSplit>;

export function fakeJobData(job: Job, datasets: Record<string, FakeDataset>): JobData & { batchCalls: number } {
  const rows: FittedFeatures['rows'] = {};
  for (const [name, d] of Object.entries(datasets)) rows[name] = { train: d.train.size, valid: d.valid.size, test: d.test.size };
  const width = (w: Width): number => {
    if (typeof w === 'number') return w;
    if ('sum' in w) return w.sum.reduce<number>((a, b) => a + width(b), 0);
    throw new Error(`the fake data has no vocabulary for ${JSON.stringify(w)}`);
  };
  const data = {
    job,
    fitted: { features: {}, classes: {}, rows },
    width,
    batchCalls: 0,
    batches(dataset: string, split: SplitName, options: BatchOptions): AsyncIterable<Batch> {
      data.batchCalls += 1;
      const source = datasets[dataset]?.[split];
      if (!source) throw new Error(`the fake data has no dataset '${dataset}'`);
      return batchesOf(dataset, source, options);
    },
  };
  return data;
}

async function* batchesOf(dataset: string, source: FakeSplit, options: BatchOptions): AsyncGenerator<Batch> {
  const order = Array.from({ length: source.size }, (_, i) => i);
  if (options.shuffle) shuffleInPlace(order, uniformStream(options.seed));
  for (let start = 0; start < order.length; start += options.batchSize) {
    const rows = order.slice(start, start + options.batchSize);
    const inputs: Batch['inputs'] = {};
    for (const [id, input] of Object.entries(source.inputs)) {
      inputs[id] = { data: gather(input.data, rows, input.width, Float32Array), shape: [rows.length, input.width] };
    }
    const labels: Record<string, LabelData> = {};
    for (const [task, label] of Object.entries(source.labels)) {
      const values = label.values instanceof Int32Array ? gather(label.values, rows, label.width, Int32Array) : gather(label.values, rows, label.width, Float32Array);
      labels[task] = {
        values: { data: values, shape: label.width === 1 ? [rows.length] : [rows.length, label.width] },
        mask: label.mask ? gather(label.mask, rows, 1, Float32Array) : new Float32Array(rows.length).fill(1),
      };
    }
    yield { dataset, size: rows.length, inputs, labels };
  }
}

function gather<T extends Float32Array | Int32Array>(values: T, rows: number[], width: number, Type: { new (n: number): T }): T {
  const out = new Type(rows.length * width);
  rows.forEach((row, i) => out.set(values.subarray(row * width, (row + 1) * width), i * width));
  return out;
}

function shuffleInPlace(items: number[], uniform: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** mulberry32: a small seeded generator, independent of the runtime's own. */
export function uniformStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticTask {
  name: string;
  kind: 'binary' | 'multiclass' | 'multilabel' | 'regression';
  /** Classes or labels (multiclass, multilabel); default 1. */
  units?: number;
  /** Fraction of rows with a label; default 1. */
  labelled?: number;
}

/**
 * A dataset with one vector input of `width` standard-normal-ish features, and labels that a linear
 * teacher with its own seeded weights assigns to each task: learnable, so a training loss must fall.
 */
export function syntheticDataset(
  input: string,
  width: number,
  tasks: SyntheticTask[],
  sizes: Record<SplitName, number>,
  seed: number,
): FakeDataset {
  const uniform = uniformStream(seed);
  const normal = () => {
    let s = 0;
    for (let i = 0; i < 4; i++) s += uniform();
    return (s - 2) * Math.sqrt(3);
  };
  const teachers = tasks.map((t) => Float32Array.from({ length: width * (t.units ?? 1) }, normal));
  const split = (size: number): FakeSplit => {
    const x = Float32Array.from({ length: size * width }, normal);
    const labels: Record<string, FakeLabels> = {};
    tasks.forEach((t, ti) => {
      const units = t.units ?? 1;
      const scores = new Float32Array(size * units);
      for (let r = 0; r < size; r++) {
        for (let u = 0; u < units; u++) {
          let s = 0;
          for (let c = 0; c < width; c++) s += x[r * width + c]! * teachers[ti]![c * units + u]!;
          scores[r * units + u] = s;
        }
      }
      const mask = Float32Array.from({ length: size }, () => (uniform() < (t.labelled ?? 1) ? 1 : 0));
      switch (t.kind) {
        case 'binary':
          labels[t.name] = { values: scores.map((s) => (s > 0 ? 1 : 0)), width: 1, mask };
          break;
        case 'multilabel':
          labels[t.name] = { values: scores.map((s) => (s > 0 ? 1 : 0)), width: units, mask };
          break;
        case 'regression':
          labels[t.name] = { values: scores, width: units, mask };
          break;
        case 'multiclass': {
          const classes = new Int32Array(size);
          for (let r = 0; r < size; r++) {
            let bestClass = 0;
            for (let u = 1; u < units; u++) if (scores[r * units + u]! > scores[r * units + bestClass]!) bestClass = u;
            classes[r] = bestClass;
          }
          labels[t.name] = { values: classes, width: 1, mask };
        }
      }
    });
    return { size, inputs: { [input]: { width, data: x } }, labels };
  };
  return { train: split(sizes.train), valid: split(sizes.valid), test: split(sizes.test) };
}

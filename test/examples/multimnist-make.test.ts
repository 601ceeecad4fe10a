/** The MultiMNIST builder (examples/multimnist/make.ts): Sener & Koltun's composition, seeded splits, the Arrow file. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { buildMultiMnist, composeImage, loadMnistDigits, SIDE, type BuildPlan, type Digits } from '../../examples/multimnist/make.js';
import { Random } from '../../runtime/random.js';

const PIXELS = SIDE * SIDE;

/** A digit with the given grey levels at (row, column) and zeros elsewhere. */
function digit(points: readonly [number, number, number][]): Uint8Array {
  const out = new Uint8Array(PIXELS);
  for (const [y, x, v] of points) out[y * SIDE + x] = v;
  return out;
}

/**
 * `count` noise digits whose identity can be read back from any image they are part of: digit i has i at (0, 0),
 * which only the left digit covers and output (0, 0) reads, and at (26, 26), which lands on canvas (32, 32), only the
 * right digit's, read by output (25, 25) (⌊25.5 · 36/28⌋ = 32).
 */
function taggedDigits(count: number): Digits {
  const random = new Random(5);
  const pixels = Uint8Array.from({ length: count * PIXELS }, () => random.int(200));
  for (let i = 0; i < count; i++) {
    pixels[i * PIXELS] = i;
    pixels[i * PIXELS + 26 * SIDE + 26] = i;
  }
  return { pixels, labels: Uint8Array.from({ length: count }, (_, i) => i % 10) };
}

const SMALL: BuildPlan = { train: { digits: 40, copies: 3 }, valid: { digits: 10, copies: 2 }, test: { digits: 10, copies: 1 } };

describe('MultiMNIST builder', () => {
  it('puts the left digit at the top left, the right one 6 pixels right and down, the maximum where they overlap, resized to 28×28', () => {
    // Output pixel i reads canvas pixel ⌊(i + ½)·36/28⌋: output 0 → 0, 5 → 7, 25 → 32, 27 → 35.
    const left = digit([[0, 0, 200], [7, 7, 50], [7, 0, 90]]);
    const right = digit([[1, 1, 120], [26, 26, 70], [0, 0, 30]]);
    const image = composeImage(left, right);
    assert.equal(image.length, PIXELS);
    assert.equal(image[0], 200); // left (0, 0) on canvas (0, 0)
    assert.equal(image[5 * SIDE + 5], 120); // canvas (7, 7): max(left (7, 7) = 50, right (1, 1) = 120)
    assert.equal(image[5 * SIDE + 0], 90); // canvas (7, 0): left (7, 0), no right digit there
    assert.equal(image[25 * SIDE + 25], 70); // canvas (32, 32): right (26, 26)
    // Right (0, 0) lands on canvas (6, 6), a row and column nearest-neighbour resizing drops (no output reads 6).
    const sum = image.reduce((a, b) => a + b, 0);
    assert.equal(sum, 200 + 120 + 90 + 70);
  });

  it('is deterministic for a seed: the same bytes twice, other bytes for another seed', () => {
    const digits = taggedDigits(60);
    const a = buildMultiMnist(digits, 7, SMALL);
    const b = buildMultiMnist(digits, 7, SMALL);
    assert.deepEqual(a, b);
    const c = buildMultiMnist(digits, 8, SMALL);
    assert.notDeepEqual(c.pixels, a.pixels);
    assert.equal(a.left.length, 40 * 3 + 10 * 2 + 10);
  });

  it('draws each split from its own pool of digits, each digit the left one `copies` times', () => {
    const digits = taggedDigits(60);
    const set = buildMultiMnist(digits, 3, SMALL);
    const leftId = (row: number) => set.pixels[row * PIXELS]!;
    const rightId = (row: number) => set.pixels[row * PIXELS + 25 * SIDE + 25]!;
    const pools = [0, 1, 2].map((split) => {
      const rows = [...set.split.keys()].filter((r) => set.split[r] === split);
      const lefts = new Map<number, number>();
      for (const r of rows) lefts.set(leftId(r), (lefts.get(leftId(r)) ?? 0) + 1);
      for (const r of rows) {
        assert.ok(lefts.has(rightId(r)), `row ${r}: its right digit is from its split's pool`);
        assert.equal(set.left[r], digits.labels[leftId(r)]);
        assert.equal(set.right[r], digits.labels[rightId(r)]);
      }
      return lefts;
    });
    assert.deepEqual(pools.map((p) => p.size), [40, 10, 10]);
    assert.deepEqual(pools.map((p) => new Set(p.values())), [new Set([3]), new Set([2]), new Set([1])]);
    const all = pools.flatMap((p) => [...p.keys()]);
    assert.equal(new Set(all).size, 60, 'no digit is in two pools');
  });

  it('reads the 10,000 digits the mnist package ships', () => {
    const digits = loadMnistDigits();
    assert.equal(digits.labels.length, 10_000);
    assert.equal(digits.pixels.length, 10_000 * PIXELS);
    const perClass = Array.from({ length: 10 }, (_, d) => digits.labels.filter((l) => l === d).length);
    assert.deepEqual(perClass, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });

  it('writes pixels as a fixed-size list of 784 uint8, labels as int8 and the split as a string', async () => {
    const { writeMultiMnist } = await import('../../examples/multimnist/make.js');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtl-multimnist-'));
    try {
      const set = buildMultiMnist(taggedDigits(60), 3, SMALL);
      await writeMultiMnist(set, path.join(dir, 'm.arrow'));
      const table = tableFromIPC(await fs.readFile(path.join(dir, 'm.arrow')));
      assert.deepEqual(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), [
        'pixels: FixedSizeList[784]<Uint8>', 'left: Int8', 'right: Int8', 'split: Dictionary<Int32, Utf8>',
      ]);
      assert.equal(table.numRows, set.left.length);
      assert.deepEqual(Array.from(table.getChild('pixels')!.get(61)!.toArray() as Uint8Array), Array.from(set.pixels.subarray(61 * PIXELS, 62 * PIXELS)));
      assert.equal(table.getChild('split')!.get(125), 'valid');
      assert.equal(table.getChild('right')!.get(3), set.right[3]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

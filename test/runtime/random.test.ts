import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../runtime/random.js';

function draws(random: Random, count: number): number[] {
  return Array.from({ length: count }, () => random.uint32());
}

test('the same seed gives the same stream; different seeds differ', () => {
  assert.deepEqual(draws(new Random(42), 20), draws(new Random(42), 20));
  assert.notDeepEqual(draws(new Random(42), 20), draws(new Random(43), 20));
  // Seeds beyond 32 bits are not truncated to their low word.
  assert.notDeepEqual(draws(new Random(1), 5), draws(new Random(1 + 2 ** 32), 5));
});

test('next() is in [0, 1) and roughly uniform', () => {
  const random = new Random(7);
  const buckets = new Array<number>(10).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const x = random.next();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]!++;
  }
  // Each bucket expects 10 000 with standard deviation ~95; 6 sigma is a loose, deterministic bound.
  for (const count of buckets) assert.ok(Math.abs(count - n / 10) < 600, `bucket count ${count}`);
});

test('int(n) covers [0, n) uniformly and rejects bad n', () => {
  const random = new Random(11);
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 70_000; i++) {
    const k = random.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    counts[k]!++;
  }
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 600, `count ${count}`);
  assert.equal(random.int(1), 0);
  assert.throws(() => random.int(0), RangeError);
  assert.throws(() => random.int(2.5), RangeError);
});

test('categorical follows the weights, never picks a zero weight, and validates', () => {
  const random = new Random(3);
  const counts = [0, 0, 0, 0];
  const n = 80_000;
  for (let i = 0; i < n; i++) counts[random.categorical([1, 0, 3, 4])]!++;
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[0]! / n - 1 / 8) < 0.01);
  assert.ok(Math.abs(counts[2]! / n - 3 / 8) < 0.01);
  assert.ok(Math.abs(counts[3]! / n - 4 / 8) < 0.01);
  assert.equal(random.categorical(new Float32Array([0, 0, 2])), 2);
  assert.throws(() => random.categorical([0, 0]), RangeError);
  assert.throws(() => random.categorical([1, -1]), RangeError);
  assert.throws(() => random.categorical([1, Number.NaN]), RangeError);
});

test('fork depends on the seed and label only, not on draws already made', () => {
  const parent = new Random(99);
  const before = draws(parent.fork('sampling'), 10);
  draws(parent, 1000);
  assert.deepEqual(draws(parent.fork('sampling'), 10), before);
  assert.notDeepEqual(draws(parent.fork('shuffle'), 10), before);
  assert.notDeepEqual(draws(new Random(100).fork('sampling'), 10), before);
  assert.notDeepEqual(draws(new Random(99), 10), before);
});

test('shuffle permutes reproducibly', () => {
  const a = new Random(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
  const b = new Random(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(a, Array.from({ length: 50 }, (_, i) => i));
  const typed = new Random(5).shuffle(Float64Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(Array.from(typed), a);
});

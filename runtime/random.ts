/**
 * A small seeded PRNG for everything the runtime draws: task sampling, shuffling, dropout seeds.
 *
 * The generator is sfc32 (Small Fast Chaotic, 128-bit state; passes PractRand and BigCrush), seeded
 * through splitmix32 so that nearby seeds give unrelated streams. `fork(label)` derives an
 * independent child stream from the parent's seed and the label only, never from how many numbers
 * the parent has drawn: adding a draw in one place does not shift the streams used elsewhere.
 */
export class Random {
  /** sfc32's words a, b, c, d, in a typed array: each read and write is a plain int32, not a boxed number. */
  private readonly words = new Int32Array(4);
  /** The seed folded to 32 bits; forks derive from it. */
  private readonly key: number;

  /** `seed` is any finite number; integers up to 2^53 are used in full. */
  constructor(readonly seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Random: seed must be a finite number, got ${seed}`);
    const key = seedKey(seed);
    let state = key;
    const nextSeedWord = (): number => {
      state = (state + 0x9e3779b9) | 0;
      return splitmix32Finalize(state);
    };
    for (let i = 0; i < 4; i++) this.words[i] = nextSeedWord();
    // sfc32's first outputs are correlated with its seed words; discard them.
    for (let i = 0; i < 12; i++) this.uint32();
    this.key = key;
  }

  /** A uniform unsigned 32-bit integer. */
  uint32(): number {
    const w = this.words;
    const a = w[0]!;
    const b = w[1]!;
    const c = w[2]!;
    const d = w[3]!;
    const t = (((a + b) | 0) + d) | 0;
    w[3] = (d + 1) | 0;
    w[0] = b ^ (b >>> 9);
    w[1] = (c + (c << 3)) | 0;
    w[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.uint32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, n), without modulo bias. `n` is an integer in [1, 2^32]. */
  int(n: number): number {
    // The loader draws one per row with the same n: n is checked, and its limit worked out, when it changes.
    if (n !== this.intN) {
      if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) {
        throw new RangeError(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
      }
      this.intN = n;
      // Reject the top sliver of the 32-bit range that would favour small results.
      this.intLimit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    }
    let x = this.uint32();
    while (x >= this.intLimit) x = this.uint32();
    // x % n without a floating-point remainder (x passes 2^31): x / n is never rounded up to the next integer, as x < 2^32.
    return x - Math.floor(x / n) * n;
  }

  private intN = 0;
  private intLimit = 0;

  /**
   * An index drawn with probability proportional to `weights[i]` (they need not sum to 1).
   * Weights must be finite and non-negative with a positive sum.
   */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new RangeError(`Random.categorical: weight ${i} is ${w}; weights must be finite and >= 0`);
      }
      total += w;
    }
    if (!(total > 0)) throw new RangeError('Random.categorical: weights must have a positive sum');
    const target = this.next() * total;
    let cumulative = 0;
    let lastPositive = -1;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      cumulative += w;
      lastPositive = i;
      if (target < cumulative) return i;
    }
    // Rounding can leave target just above the final cumulative sum: it belongs to the last class.
    return lastPositive;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** The generator's position: four 32-bit words. A checkpoint saves it; `restore` continues the stream from it exactly. */
  state(): [number, number, number, number] {
    return [this.words[0]!, this.words[1]!, this.words[2]!, this.words[3]!];
  }

  /** Continues from a position `state` returned (of a stream with the same seed: forks derive from the seed, not the position). */
  restore(state: readonly number[]): void {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w))) throw new RangeError(`Random.restore: a state is four 32-bit integers, got [${state.join(', ')}]`);
    this.words.set(state.map((w) => w | 0));
  }

  /** An independent stream named by `label`: same parent seed and label, same stream. */
  fork(label: string): Random {
    return new Random(mix32(this.key, fnv1a32(label)));
  }
}

/** Folds a seed of up to 53 bits (and any sign or fraction) into 32 bits, keeping the high part. */
function seedKey(seed: number): number {
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  const fraction = Math.floor((seed - Math.floor(seed)) * 0x1_0000_0000) >>> 0;
  return mix32(mix32(low, high), fraction);
}

function splitmix32Finalize(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Combines two 32-bit words so that changing either changes every output bit with probability ~1/2. */
function mix32(x: number, y: number): number {
  return splitmix32Finalize((Math.imul(x ^ 0x9e3779b9, 0x85ebca6b) + y) | 0);
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Seeded, portable hashing: row-to-split assignment and the seeds of shuffles. Every number here comes from 32-bit
 * integer arithmetic, so the same seed gives the same splits on every machine and Node version. The generator that
 * shuffles is the runtime's one PRNG, `Random` (../random.ts).
 */

/** murmur3's finalizer: a cheap bijective mix of 32 bits. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A seed as an unsigned 32-bit integer (seeds in the job are plain JSON numbers). */
export function seed32(seed: number): number {
  return Math.trunc(seed) >>> 0;
}

/** A 32-bit hash of (seed, index) for indices up to 2^53: the basis of the row-to-split assignment. */
export function hashIndex(seed: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  return mix32(mix32(lo ^ mix32(seed32(seed) ^ 0x9e3779b9)) ^ mix32((hi + 0x632be5ab) >>> 0));
}

/** FNV-1a over UTF-16 code units, to fold names (of datasets) into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Combines several seed parts (seed, epoch, dataset hash) into one 32-bit seed. */
export function combineSeeds(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) h = mix32(h ^ mix32(seed32(part)));
  return h;
}

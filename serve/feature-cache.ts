/**
 * The feature cache: the shared backbone's output for a row (LoadedModel.shared), kept so that a later request for
 * other tasks of the same row runs only their heads. Keyed by the model version, the input and a canonical hash of
 * the row's columns that input reads, so a row written with its keys in another order, or `1` for `1.0`, hits.
 * Bounded by bytes (least recently used first out) and by age (an entry older than the TTL is a miss and is dropped).
 */
import { createHash } from 'node:crypto';

export interface FeatureCacheOptions {
  maxBytes: number;
  ttlMs: number;
  /** The clock (tests move it). */
  now?: () => number;
}

interface Entry {
  readonly features: Float32Array;
  readonly bytes: number;
  readonly stored: number;
}

/** What an entry costs beyond its numbers: the key, the Map's slot and the objects around them (a measured guess). */
const ENTRY_OVERHEAD_BYTES = 160;

export class FeatureCache {
  private readonly entries = new Map<string, Entry>();
  private bytesHeld = 0;
  hits = 0;
  misses = 0;
  private readonly now: () => number;

  constructor(private readonly options: FeatureCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  get size(): number {
    return this.entries.size;
  }

  get hitRatio(): number {
    const lookups = this.hits + this.misses;
    return lookups === 0 ? 0 : this.hits / lookups;
  }

  get(key: string): Float32Array | undefined {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.stored <= this.options.ttlMs) {
      // Re-inserted, so the Map's order stays least recently used first.
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.hits++;
      return entry.features;
    }
    if (entry) this.remove(key, entry);
    this.misses++;
    return undefined;
  }

  set(key: string, features: Float32Array): void {
    const bytes = features.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.options.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    this.entries.set(key, { features, bytes, stored: this.now() });
    this.bytesHeld += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytesHeld <= this.options.maxBytes) break;
      this.remove(oldest, entry);
    }
  }

  /** Drops every entry of a version (it was unloaded: nothing will ask for its features again). */
  dropVersion(prefix: string): void {
    for (const [key, entry] of this.entries) if (key.startsWith(`${prefix}\0`)) this.remove(key, entry);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytesHeld -= entry.bytes;
  }
}

/** A number written the one way: -0 as 0 (JSON already writes 1.0 as 1). */
const canonicalNumber = (v: number): number => (Object.is(v, -0) ? 0 : v);

function canonicalValue(value: unknown): unknown {
  if (typeof value === 'number') return canonicalNumber(value);
  if (Array.isArray(value)) return value.map(canonicalValue);
  return value ?? null;
}

/**
 * The cache key of `row` for one version's input: the version and input, then a SHA-256 of the row's `columns`
 * (sorted by name, numbers normalised; a column the row lacks counts as null, as the encoder reads it).
 */
export function featureKey(version: string, input: string, columns: readonly string[], row: Readonly<Record<string, unknown>>): string {
  const sorted = [...columns].sort();
  const canonical = JSON.stringify(sorted.map((c) => [c, canonicalValue(row[c])]));
  return `${version}\0${input}\0${createHash('sha256').update(canonical).digest('base64')}`;
}

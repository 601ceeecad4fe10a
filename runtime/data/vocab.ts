/**
 * Vocabularies learned from the training split. Token and embedding vocabularies start with two
 * reserved entries, '<pad>' (id 0) and '<unk>' (id 1), so learned words get ids from 2 and the
 * embedding table's width is simply the vocabulary's length. One-hot vocabularies have no reserved
 * entries: an unseen or null category encodes as all zeros.
 */

export const PAD_TOKEN = '<pad>';
export const UNKNOWN_TOKEN = '<unk>';
export const PAD_ID = 0;
export const UNKNOWN_ID = 1;

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The most frequent values seen at least `minCount` times, by count (descending) then text, at most
 * `maxVocab` of them (maxVocab ≤ 0: no cap). The cap counts learned values only, not '<pad>'/'<unk>'.
 */
export function topValues(counts: ReadonlyMap<string, number>, maxVocab: number, minCount: number, exclude: readonly string[] = []): string[] {
  const kept = [...counts].filter(([value, count]) => count >= minCount && !exclude.includes(value));
  kept.sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  const capped = maxVocab > 0 ? kept.slice(0, maxVocab) : kept;
  return capped.map(([value]) => value);
}

/** A token or embedding vocabulary: the reserved entries, then the learned values. */
export function withReservedTokens(values: readonly string[]): string[] {
  return [PAD_TOKEN, UNKNOWN_TOKEN, ...values];
}

export function learnedTokenVocabulary(counts: ReadonlyMap<string, number>, maxVocab: number, minCount: number): string[] {
  return withReservedTokens(topValues(counts, maxVocab, minCount, [PAD_TOKEN, UNKNOWN_TOKEN]));
}

/** Class names in a deterministic order: numerically when every name is a number, else by text. */
export function sortedClassNames(values: Iterable<string>): string[] {
  const names = [...new Set(values)];
  const numeric = names.length > 0 && names.every((n) => n.trim() !== '' && Number.isFinite(Number(n)));
  return numeric ? names.sort((a, b) => Number(a) - Number(b) || compareText(a, b)) : names.sort(compareText);
}

/** Adds `counts[code]` of each dictionary entry to `into`, keyed by the entry's text (optionally lowercased). */
export function addCodeCounts(into: Map<string, number>, counts: Int32Array, dictionary: readonly string[], lowercase = false): void {
  for (let code = 0; code < counts.length; code++) {
    const n = counts[code]!;
    if (n === 0) continue;
    const key = lowercase ? dictionary[code]!.toLowerCase() : dictionary[code]!;
    into.set(key, (into.get(key) ?? 0) + n);
  }
}

/**
 * Maps dictionary codes of a column to vocabulary ids, one table per Arrow dictionary (cached):
 * the per-row work is then one array read.
 */
export class VocabularyLookup {
  private readonly index = new Map<string, number>();
  private readonly tables = new WeakMap<readonly string[], Int32Array>();

  constructor(
    vocabulary: readonly string[],
    /** The id of values not in the vocabulary (-1 for one-hot, UNKNOWN_ID for tokens). */
    readonly unknownId: number,
    readonly lowercase = false,
  ) {
    vocabulary.forEach((value, id) => this.index.has(value) || this.index.set(value, id));
  }

  id(value: string): number {
    return this.index.get(this.lowercase ? value.toLowerCase() : value) ?? this.unknownId;
  }

  tableFor(dictionary: readonly string[]): Int32Array {
    let table = this.tables.get(dictionary);
    if (!table) {
      table = new Int32Array(dictionary.length);
      for (let code = 0; code < dictionary.length; code++) table[code] = this.id(dictionary[code]!);
      this.tables.set(dictionary, table);
    }
    return table;
  }
}

/** How a `tokens` feature splits a plain string column: on runs of whitespace. */
export function splitWords(text: string): string[] {
  const words = text.split(/\s+/);
  return words.filter((w) => w.length > 0);
}

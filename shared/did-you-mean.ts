import { compareText } from './compare.js';

/** Up to `max` candidates close to `input` by edit distance, closest first (graphql-js's suggestionList, Elm's cap). */
export function suggest(input: string, candidates: Iterable<string>, max = 4): string[] {
  // Recovery can leave a name null (`p(.s)`): there is nothing to suggest for it.
  if (typeof input !== 'string') return [];
  const threshold = Math.max(1, Math.floor(input.length * 0.4));
  const scored: [string, number][] = [];
  const lower = input.toLowerCase();
  for (const candidate of new Set(candidates)) {
    if (candidate === input) continue;
    const distance = candidate.toLowerCase() === lower ? 0.5 : editDistance(lower, candidate.toLowerCase(), threshold);
    if (distance <= threshold) scored.push([candidate, distance]);
  }
  scored.sort((a, b) => a[1] - b[1] || compareText(a[0], b[0]));
  return scored.slice(0, max).map(([name]) => name);
}

/** "did you mean `x`?" / "did you mean one of `x`, `y`?" or null. */
export function didYouMean(input: string, candidates: Iterable<string>): string | null {
  const found = suggest(input, candidates);
  if (found.length === 0) return null;
  if (found.length === 1) return `did you mean \`${found[0]}\`?`;
  return `did you mean one of ${found.map((s) => `\`${s}\``).join(', ')}?`;
}

/**
 * Damerau–Levenshtein (optimal string alignment) distance; past `limit`, any number above it (`limit + 1`): a
 * "did you mean" compares a name with every declared name, and most are far, so it stops as soon as a row of the
 * table is all above the limit (a row's least value never falls from one row to the next).
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const cols = b.length + 1;
  // Three rows of the table: the one before last (for transpositions), the last, the one being filled.
  let before = new Uint32Array(cols);
  let last = Uint32Array.from({ length: cols }, (_, j) => j);
  let row = new Uint32Array(cols);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let least = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(last[j]! + 1, row[j - 1]! + 1, last[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      row[j] = best;
      if (best < least) least = best;
    }
    if (least > limit) return limit + 1;
    [before, last, row] = [last, row, before];
  }
  return last[b.length]!;
}

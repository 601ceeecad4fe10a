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
    const distance = candidate.toLowerCase() === lower ? 0.5 : editDistance(lower, candidate.toLowerCase());
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

/** Damerau–Levenshtein (optimal string alignment) distance. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The distribution of one output column's predictions over the validation split, recorded at export so a server can
 * tell when its traffic's predictions drift from it: a 20-bin histogram, mean, spread and quantiles of a number; the
 * count of each class of a class column.
 */
import type { ClassDistribution, NumericDistribution } from '../serving/package-format.js';

export const HISTOGRAM_BINS = 20;
export const QUANTILE_LEVELS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] as const;

/** `range`: the histogram's edges' span (probabilities: [0, 1]); default the values' own min and max. */
export function numericDistribution(values: Float32Array, range?: readonly [number, number]): NumericDistribution {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const min = n > 0 ? sorted[0]! : 0;
  const max = n > 0 ? sorted[n - 1]! : 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = n > 0 ? sum / n : 0;
  let squares = 0;
  for (const v of sorted) squares += (v - mean) ** 2;
  const [lo, hi] = range ?? [min, max];
  const width = (hi - lo) / HISTOGRAM_BINS;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of sorted) counts[width > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((v - lo) / width))) : 0]!++;
  const quantile = (q: number): number => {
    if (n === 0) return 0;
    const at = q * (n - 1);
    const below = Math.floor(at);
    return sorted[below]! + (at - below) * ((sorted[Math.min(n - 1, below + 1)] ?? 0) - sorted[below]!);
  };
  return {
    kind: 'numeric',
    rows: n,
    mean,
    std: n > 0 ? Math.sqrt(squares / n) : 0,
    min,
    max,
    quantiles: Object.fromEntries(QUANTILE_LEVELS.map((q) => [String(q), quantile(q)])),
    histogram: { edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => lo + i * width), counts },
  };
}

export function classDistribution(values: readonly string[]): ClassDistribution {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return { kind: 'classes', rows: values.length, counts };
}

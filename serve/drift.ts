/**
 * Drift: how far the predictions a task serves have moved from those it made on the validation split at export
 * (the package's `validation.distributions`). Each output column keeps its last `window` served values, binned as
 * the export binned them (the histogram's edges, or the classes), and is scored by the population stability index
 * against the export's counts: PSI = Σ (p − q) · ln(p / q) over the bins, with each share floored at 1e-4 so an
 * empty bin counts as rare rather than infinite. Common reading: under 0.1 no shift, 0.1–0.25 some, over 0.25 a
 * shift worth acting on.
 */
import type { Distribution } from '../runtime/serving/package-format.js';

const SHARE_FLOOR = 1e-4;

/** Population stability index of served `counts` against `expected` counts, bin by bin. */
export function populationStabilityIndex(counts: readonly number[], expected: readonly number[]): number {
  const served = counts.reduce((a, b) => a + b, 0);
  const recorded = expected.reduce((a, b) => a + b, 0);
  if (served === 0 || recorded === 0) return 0;
  let psi = 0;
  for (let i = 0; i < counts.length; i++) {
    const p = Math.max(SHARE_FLOOR, counts[i]! / served);
    const q = Math.max(SHARE_FLOOR, expected[i]! / recorded);
    psi += (p - q) * Math.log(p / q);
  }
  return psi;
}

/** One output column's served values, binned, over a rolling window. */
export class ColumnDrift {
  private readonly expected: number[];
  private readonly bin: (value: number | string) => number;
  private readonly counts: number[];
  private readonly recent: Int32Array;
  private next = 0;
  private filled = 0;

  constructor(distribution: Distribution, window: number) {
    if (distribution.kind === 'numeric') {
      const { edges, counts } = distribution.histogram;
      const last = counts.length - 1;
      this.expected = [...counts];
      // As the export binned: [edges[i], edges[i+1]), the last bin closed; values outside go to the end bins.
      this.bin = (value) => {
        const v = value as number;
        let i = 0;
        while (i < last && v >= edges[i + 1]!) i++;
        return i;
      };
    } else {
      const classes = Object.keys(distribution.counts);
      this.expected = [...classes.map((c) => distribution.counts[c]!), 0];
      // A class the validation split never predicted goes to one bin of its own, expected empty.
      this.bin = (value) => {
        const i = classes.indexOf(value as string);
        return i < 0 ? classes.length : i;
      };
    }
    this.counts = new Array<number>(this.expected.length).fill(0);
    this.recent = new Int32Array(Math.max(1, window));
  }

  get served(): number {
    return this.filled;
  }

  add(value: number | string): void {
    const bin = this.bin(value);
    if (this.filled === this.recent.length) this.counts[this.recent[this.next]!]!--;
    else this.filled++;
    this.recent[this.next] = bin;
    this.counts[bin]!++;
    this.next = (this.next + 1) % this.recent.length;
  }

  score(): number {
    return populationStabilityIndex(this.counts, this.expected);
  }
}

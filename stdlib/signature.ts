/**
 * What every stdlib entry has, whatever its category: a signature (parameters with types, defaults, limits and docs)
 * and whether this version's runtime executes it. Each category's file adds the entry's lowering to the job.
 */
import type { Type } from './types.js';

/** What flows between the parts of a model: a vector per row, token ids, a sequence of vectors, or an image. */
export type ValueKind = 'vector' | 'ids' | 'sequence' | 'image';

/**
 * The values a numeric parameter accepts, checked at compile time (rule value-limits). On a list or a record of
 * numbers they hold for each number; on a number-or-call parameter (`lr`), for the number.
 */
export interface Limits {
  min?: number;
  /** `min` itself is refused: above `min`. */
  minExclusive?: boolean;
  max?: number;
  /** `max` itself is refused: below `max`. */
  maxExclusive?: boolean;
  /** A list holds at least this many items. */
  minItems?: number;
  /**
   * Each number is a layer of the backbone given as argument `param` (so it is below that backbone's depth);
   * `says` completes "`cross_stitch` <says> 7" in the message.
   */
  layerOf?: { param: string; says: string };
  /**
   * The number divides the value given for this other parameter of the same call (attention `heads` divide the model
   * width `dim`). Checked when either of the two is written.
   */
  divides?: string;
  /** What to write instead, when the accepted values alone do not say it. */
  help?: string;
}

export interface Param {
  name: string;
  type: Type;
  /** `.mtl` source of the default; absent and not optional means required. */
  default?: string;
  doc: string;
  limits?: Limits;
}

export interface Rest {
  name: string;
  type: Type;
  doc: string;
}

export interface Signature {
  doc: string;
  params: Param[];
  /** Positional arguments beyond `params` go here (transforms take their columns this way). */
  rest?: Rest;
}

/**
 * Whether this version's runtime executes it. When not, `notRun` completes "the compiler understands it; …"
 * (`mtl check` refuses a program using it: rule runs-today).
 */
export type Runs = { runs: true } | { runs: false; notRun: string };

export type Entry<Lowering> = Signature & Runs & Lowering;

export const p = (name: string, type: Type, doc: string, dflt?: string, limits?: Limits): Param => ({
  name, type, doc, ...(dflt === undefined ? {} : { default: dflt }), ...(limits ? { limits } : {}),
});

// The limits most parameters use, named for what they mean.
/** A count or a size: 1 or more. */
export const atLeastOne: Limits = { min: 1 };
/** Steps, penalties, decays: 0 or more. */
export const notNegative: Limits = { min: 0 };
/** Rates and temperatures: above 0. */
export const positive: Limits = { min: 0, minExclusive: true };
/** A probability, a share or a mixing weight: 0 to 1. */
export const fraction: Limits = { min: 0, max: 1 };
/** Dropout and momentum-like decays: 0 up to, not including, 1. */
export const rate: Limits = { min: 0, max: 1, maxExclusive: true };

// Upper limits. Past them a number could not be built or run (an allocation, a loop that does not end), and it is a
// slip (1e26 where 256 was meant); each is far above what a program trained on one machine uses.
/** A layer's width (units, filters, dimensions, an image's side, a sequence's length): its weights grow with it. */
export const MAX_WIDTH = 65_536;
/** What a feature or a head tells apart (a vocabulary, classes, labels): an input or output column each. */
export const MAX_VALUES = 1_000_000;
/** Layers of one stack (an encoder's, an LSTM's). */
export const MAX_LAYERS = 1_024;
/** Rows held at once: a batch, the shuffle buffer. */
export const MAX_ROWS = 1_000_000;
/** Epochs, and what counts them (patience in evaluations, evaluating every so many epochs). */
export const MAX_EPOCHS = 1_000_000;
/** Steps, and what counts them (a warmup, decaying every so many steps, a phase's end). */
export const MAX_STEPS = 1_000_000_000;
/** The runtime reads a seed as an unsigned 32-bit integer: any other would run as some seed in that range. */
export const MAX_SEED = 4_294_967_295;

/** A layer's width, or a length: 1 to MAX_WIDTH. */
export const width: Limits = { min: 1, max: MAX_WIDTH };
/** A list of sizes, each a width, at least one of them. */
export const sizes: Limits = { ...width, minItems: 1 };
export const layerCount: Limits = { min: 1, max: MAX_LAYERS };
/** A vocabulary or a number of labels: 1 to MAX_VALUES. */
export const valueCount: Limits = { min: 1, max: MAX_VALUES };
export const rowCount: Limits = { min: 1, max: MAX_ROWS };
export const epochCount: Limits = { min: 1, max: MAX_EPOCHS };
export const stepCount: Limits = { min: 1, max: MAX_STEPS };
/** A number of steps that may be 0 (no warmup; never). */
export const stepsOrNone: Limits = { min: 0, max: MAX_STEPS };
export const seed: Limits = { min: 0, max: MAX_SEED };

/** How limits read in messages and listings: "between 0 and 1", "at least 1", "above 0 and at most 1". */
export function describeLimits(limits: Limits): string {
  const low = limits.min === undefined ? null : limits.minExclusive ? `above ${limits.min}` : `at least ${limits.min}`;
  const high = limits.max === undefined ? null : limits.maxExclusive ? `below ${limits.max}` : `at most ${limits.max}`;
  if (low && high && !limits.minExclusive && !limits.maxExclusive) return `between ${limits.min} and ${limits.max}`;
  return [low, high].filter((s) => s !== null).join(' and ');
}

/** Whether a number is within the range part of limits. */
export function withinLimits(n: number, limits: Limits): boolean {
  if (limits.min !== undefined && (limits.minExclusive ? n <= limits.min : n < limits.min)) return false;
  if (limits.max !== undefined && (limits.maxExclusive ? n >= limits.max : n > limits.max)) return false;
  return true;
}

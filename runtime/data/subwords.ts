/**
 * What a `tokens` feature with `suffixes` or `shape` adds to each token's word id: the ids of its last 1 … suffixes
 * characters (lowercased) in a suffix vocabulary fitted on the training split, then the id of its shape (TOKEN_SHAPES,
 * taken before lowercasing). A model reads them where the word id tells it nothing: a word it has not seen.
 */
import { TOKEN_SHAPES, type TransformPlan } from '../../job/job.js';
import { PAD_ID, UNKNOWN_ID } from './vocab.js';

type TokensPlan = Extract<TransformPlan, { kind: 'tokens' }>;

/** Ids per token position: the word's, its suffixes', its shape's. */
export function idsPerToken(t: TokensPlan): number {
  return 1 + (t.suffixes ?? 0) + (t.shape ? 1 : 0);
}

const DIGIT = /\p{Nd}/u;
const LETTER = /\p{L}/u;
const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;

/** A token's shape id: its TOKEN_SHAPES index + 1 (0 is padding). */
export function shapeId(token: string): number {
  const chars = Array.from(token);
  const shape: (typeof TOKEN_SHAPES)[number] = DIGIT.test(token)
    ? 'digits'
    : !LETTER.test(token)
      ? 'punctuation'
      : !UPPER.test(token)
        ? 'lower'
        : UPPER.test(chars[0]!) && !chars.slice(1).some((c) => UPPER.test(c))
          ? 'capitalised'
          : !LOWER.test(token)
            ? 'upper'
            : 'mixed';
  return TOKEN_SHAPES.indexOf(shape) + 1;
}

/** The lowercased suffixes of a token, by length 1 … `count` (by code point); null where the token is shorter. */
export function suffixesOf(token: string, count: number): (string | null)[] {
  const chars = Array.from(token.toLowerCase());
  return Array.from({ length: count }, (_, k) => (chars.length > k ? chars.slice(chars.length - k - 1).join('') : null));
}

/** Adds each suffix of `token` (seen `times` times) to `counts`. */
export function countSuffixes(counts: Map<string, number>, token: string, count: number, times: number): void {
  for (const suffix of suffixesOf(token, count)) if (suffix !== null) counts.set(suffix, (counts.get(suffix) ?? 0) + times);
}

/**
 * Writes the ids after a token's word id: a suffix id per length (PAD_ID for a token too short to have it, UNKNOWN_ID
 * for a suffix not in the vocabulary), then its shape id. Per Arrow dictionary, a table of them (cached).
 */
export class SubwordLookup {
  private readonly index: Map<string, number>;
  private readonly tables = new WeakMap<readonly string[], Int32Array>();
  /** Ids written per token (after its word id). */
  readonly perToken: number;

  constructor(
    suffixVocab: readonly string[],
    private readonly suffixes: number,
    private readonly shape: boolean,
  ) {
    this.index = new Map(suffixVocab.map((s, id) => [s, id]));
    this.perToken = suffixes + (shape ? 1 : 0);
  }

  write(token: string, out: Int32Array, at: number): void {
    suffixesOf(token, this.suffixes).forEach((s, k) => (out[at + k] = s === null ? PAD_ID : (this.index.get(s) ?? UNKNOWN_ID)));
    if (this.shape) out[at + this.suffixes] = shapeId(token);
  }

  /** `perToken` ids for each entry of `dictionary`, entry by entry. */
  tableFor(dictionary: readonly string[]): Int32Array {
    let table = this.tables.get(dictionary);
    if (!table) {
      table = new Int32Array(dictionary.length * this.perToken);
      for (let code = 0; code < dictionary.length; code++) this.write(dictionary[code]!, table, code * this.perToken);
      this.tables.set(dictionary, table);
    }
    return table;
  }
}

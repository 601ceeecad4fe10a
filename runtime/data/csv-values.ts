/** Reading CSV text as typed values, and guessing a column's type from the texts it holds. */

export type CsvColumnType = 'float' | 'int' | 'string' | 'bool';
export const CSV_COLUMN_TYPES: readonly CsvColumnType[] = ['float', 'int', 'string', 'bool'];

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;
const SPECIAL_FLOATS: Record<string, number> = {
  nan: NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
};
const BOOLEANS: Record<string, boolean> = { true: true, false: false, t: true, f: false, yes: true, no: false, '1': true, '0': false };

/** A decimal number (or nan/inf, any case); undefined if the text is not one. */
export function parseFloatText(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  return SPECIAL_FLOATS[text.toLowerCase()];
}

/** An integer within 32 bits; undefined otherwise. */
export function parseIntText(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const value = Number(text);
  return value >= -2147483648 && value <= 2147483647 ? value : undefined;
}

export function parseBoolText(text: string): boolean | undefined {
  return BOOLEANS[text.toLowerCase()];
}

/** Narrows a column's type as texts arrive: int while every text is an int32, then float, then string. */
export class TypeGuess {
  private couldBeInt = true;
  private couldBeFloat = true;
  private sawValue = false;

  observe(text: string): void {
    this.sawValue = true;
    if (this.couldBeInt && parseIntText(text) === undefined) this.couldBeInt = false;
    if (!this.couldBeInt && this.couldBeFloat && parseFloatText(text) === undefined) this.couldBeFloat = false;
  }

  /** A column with no values at all is a string column. */
  get type(): CsvColumnType {
    if (!this.sawValue) return 'string';
    return this.couldBeInt ? 'int' : this.couldBeFloat ? 'float' : 'string';
  }

  /** Whether the guess can no longer be numeric (so the column's distinct texts matter). */
  get mayBeString(): boolean {
    return !this.couldBeFloat;
  }
}

/**
 * Mistakes in the tokens that are each clearly one mistake: reported once, then repaired before parsing, so the
 * parser does not report their consequences instead ("expected ']', found a number `.4`" for `12.3.4`).
 *
 * - a malformed number (`12.3.4`, `1e5e3`, `12abc`): the run of touching tokens becomes one number;
 * - a name that is not ASCII (`tronc_é`): its pieces and the lexer's errors between them become one name;
 * - a keyword as a declaration's or an import's name (`backbone task = …`): it is read as a name.
 *
 * Each repaired token keeps its span, so uses and diagnostics point at what was written. The declarations holding a
 * repair are then read as recovered (see parse.ts): nothing inside them is checked.
 */
import type { IToken, TokenType } from 'chevrotain';
import { As, Dot, Equals, Identifier, Import, LBrace, NumberLiteral, StringLiteral, keywords, declarationKeywords } from '../../grammar/tokens.js';
import type { Lexed } from '../../grammar/parser.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';

export function repairTokens(lexed: Lexed, text: string, file: string): { lexed: Lexed; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let repaired = lexed;
  for (const repair of [nonAsciiNames, malformedNumbers, keywordsAsNames]) repaired = repair(repaired, text, file, diagnostics);
  return { lexed: repaired, diagnostics };
}

type Repair = (lexed: Lexed, text: string, file: string, diagnostics: Diagnostic[]) => Lexed;

const keywordTypes = new Set(keywords);
const touching = (a: IToken, b: IToken) => b.startOffset === a.startOffset + a.image.length;
const token = (type: TokenType, image: string, startOffset: number): IToken =>
  ({ image, startOffset, endOffset: startOffset + image.length - 1, tokenTypeIdx: type.tokenTypeIdx!, tokenType: type }) as IToken;

/** `12.3.4` lexes as `12.3` `.4`; `12abc` as `12` `abc`. A number followed, with no space, by a number, a name or a dot. */
const malformedNumbers: Repair = (lexed, text, file, diagnostics) => {
  const partOfNumber = (t: IToken) => t.tokenType === NumberLiteral || t.tokenType === Identifier || t.tokenType === Dot || keywordTypes.has(t.tokenType);
  const { tokens } = lexed;
  let out: IToken[] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const first = tokens[i]!;
    let last = i;
    if (first.tokenType === NumberLiteral) while (last + 1 < tokens.length && touching(tokens[last]!, tokens[last + 1]!) && partOfNumber(tokens[last + 1]!)) last++;
    if (last === i) {
      out?.push(first);
      continue;
    }
    out ??= tokens.slice(0, i);
    const end = tokens[last]!.startOffset + tokens[last]!.image.length;
    const image = text.slice(first.startOffset, end);
    out.push(token(NumberLiteral, image, first.startOffset));
    diagnostics.push(diagnostic({
      code: Codes.MalformedNumber, message: `malformed number \`${image}\``, span: { file, start: first.startOffset, end }, label: 'not a number',
      help: 'a number has digits, at most one `.` and an optional exponent (`12.5`, `0.001`, `1e-4`); list items are separated by commas',
    }));
    i = last;
  }
  return out ? { tokens: out, errors: lexed.errors } : lexed;
};

const WORD_CHARACTER = /[\p{L}\p{M}\p{N}_]/u;
const NON_ASCII_LETTER = /^[^\x00-\x7f]/u;

/**
 * `tronc_é` lexes as the name `tronc_` and an error at `é`. A lexer error that starts with a letter outside ASCII,
 * with the letters and digits touching it, is one name written in another alphabet.
 */
const nonAsciiNames: Repair = (lexed, text, file, diagnostics) => {
  const words: { start: number; end: number }[] = [];
  // After a quote that opens no string (it is not closed on its line), the rest of the line is that string's text.
  const inUnterminatedString = (offset: number) => {
    const lineStart = text.lastIndexOf('\n', offset) + 1;
    return lexed.errors.some((e) => e.offset >= lineStart && e.offset < offset && text[e.offset] === '"');
  };
  for (const e of lexed.errors) {
    if (!NON_ASCII_LETTER.test(text.slice(e.offset)) || !/^\p{L}/u.test(text.slice(e.offset)) || inUnterminatedString(e.offset)) continue;
    if (words.some((w) => e.offset >= w.start && e.offset < w.end)) continue;
    let start = e.offset;
    let end = e.offset;
    while (start > 0 && WORD_CHARACTER.test(text[start - 1]!)) start--;
    while (end < text.length && WORD_CHARACTER.test(text[end]!)) end++;
    if (e.offset + e.length <= end) words.push({ start, end });
  }
  if (words.length === 0) return lexed;
  const inWord = (offset: number) => words.find((w) => offset >= w.start && offset < w.end);
  const tokens = lexed.tokens.filter((t) => !inWord(t.startOffset));
  for (const w of words) {
    const name = text.slice(w.start, w.end);
    tokens.push(token(Identifier, name, w.start));
    const foreign = [...name].find((c) => NON_ASCII_LETTER.test(c))!;
    const ascii = asciiSpelling(name);
    diagnostics.push(diagnostic({
      code: Codes.NonAsciiName, message: `the name \`${name}\` is not ASCII`, span: { file, start: w.start, end: w.end }, label: `\`${foreign}\` is not an ASCII letter`,
      help: `names are made of ASCII letters, digits and \`_\`${ascii ? `; \`${ascii}\` would do` : ''}`,
    }));
  }
  tokens.sort((a, b) => a.startOffset - b.startOffset);
  return { tokens, errors: lexed.errors.filter((e) => !inWord(e.offset)) };
};

/** Letters that do not decompose into an ASCII letter and accents. */
const ASCII_LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ð: 'd', þ: 'th' };

/** `tronc_é` → `tronc_e`; null when some letter has no obvious ASCII spelling. */
function asciiSpelling(name: string): string | null {
  const spelled = name.normalize('NFD').replace(/\p{M}/gu, '').replace(/[^\x00-\x7f]/gu, (c) => ASCII_LETTERS[c] ?? c);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(spelled) && !keywordWords.has(spelled) ? spelled : null;
}

const keywordWords = new Set(keywords.map((k) => k.name.toLowerCase()));

/**
 * `backbone task = …`: the keyword stands where the declaration's name goes (on its line, before `{` or `=`), or after
 * `as` in an import. Reported as a keyword, and read as the name.
 */
const keywordsAsNames: Repair = (lexed, text, file, diagnostics) => {
  const { tokens } = lexed;
  let out: IToken[] | null = null;
  for (let i = 1; i < tokens.length; i++) {
    const [before, word, after] = [tokens[i - 1]!, tokens[i]!, tokens[i + 1]];
    if (!keywordTypes.has(word.tokenType)) continue;
    const sameLine = !text.slice(before.startOffset, word.startOffset).includes('\n');
    const namesDeclaration = declarationKeywords.includes(before.tokenType) && (after?.tokenType === LBrace || after?.tokenType === Equals);
    const namesImport = before.tokenType === As && tokens[i - 2]?.tokenType === StringLiteral && tokens[i - 3]?.tokenType === Import;
    if (!sameLine || !(namesDeclaration || namesImport)) continue;
    out ??= [...tokens];
    out[i] = token(Identifier, word.image, word.startOffset);
    diagnostics.push(diagnostic({
      code: Codes.KeywordAsName, message: `\`${word.image}\` is a keyword and cannot be a name`, span: { file, start: word.startOffset, end: word.startOffset + word.image.length },
      label: 'a keyword', help: `choose another name, such as \`my_${word.image}\` (a keyword names nothing but fields: \`${word.image}: …\`)`,
    }));
  }
  return out ? { tokens: out, errors: lexed.errors } : lexed;
};

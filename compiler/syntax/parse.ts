/**
 * Text → AST for one file, with lexing and parsing errors as diagnostics. Never throws on bad input.
 *
 * One syntax error per declaration (jlox's panic mode): after the first error in a declaration, chevrotain's
 * recovery goes on parsing it, but what it reports next is mostly the same mistake seen again. The declaration is
 * marked `recovered`, and the checker reports nothing inside it: its fields were read from a guess. Errors outside
 * any declaration (stray tokens between them) are reported once per position.
 */
import type { IRecognitionException, IToken } from 'chevrotain';
import { lex, parseCst, parseItems } from '../../grammar/parser.js';
import { Identifier, binaryOperators, keywords, LParen, LBracket, LBrace, RParen, RBracket, RBrace, Minus, Not, NumberLiteral, Slash, Star } from '../../grammar/tokens.js';
import { AstBuilder } from './build-ast.js';
import { repairTokens } from './repair-tokens.js';
import { unclosedBracket } from './unclosed-bracket.js';
import type { Declaration, Import, Program } from './ast.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';

interface SyntaxError {
  /** Where it is reported (first offending character). */
  start: number;
  /** The import or declaration being parsed, if any. */
  owner: Import | Declaration | null;
  diagnostic: Diagnostic;
}

/** Brackets and prefix operators nested deeper than this are refused before parsing: the parser recurses on them. */
export const MAX_NESTING = 64;

export function parseText(source: string, file: string): { value: Program; diagnostics: Diagnostic[] } {
  // A UTF-8 BOM is an editor's mark, not program text; a space keeps every offset where it was.
  let text = source.charCodeAt(0) === 0xfeff ? ` ${source.slice(1)}` : source;
  let lexed = lex(text);
  const early: Diagnostic[] = [];
  const unclosed = unclosedComment(lexed.tokens, file);
  if (unclosed) {
    // The rest of the file is the comment: parse what comes before it.
    early.push(unclosed);
    text = text.slice(0, unclosed.primary.span.start).padEnd(text.length, ' ');
    lexed = lex(text);
  }
  const repaired = repairTokens(lexed, text, file);
  lexed = repaired.lexed;
  const tooDeep = nestingTooDeep(lexed.tokens, file);
  if (tooDeep) return { value: { type: 'Program', file, imports: [], declarations: [], span: { file, start: 0, end: text.length } }, diagnostics: [...early, tooDeep] };
  early.push(...hugeNumbers(lexed.tokens, file));
  const parsed = parseLexed(text, file, lexed, repaired.diagnostics);
  return early.length ? { value: parsed.value, diagnostics: [...early, ...parsed.diagnostics] } : parsed;
}

/** `/*` with no `*\/` after it: the lexer read it as a slash and a star, since a closed comment is one token. */
function unclosedComment(tokens: readonly IToken[], file: string): Diagnostic | null {
  for (let i = 0; i + 1 < tokens.length; i++) {
    const a = tokens[i]!;
    const b = tokens[i + 1]!;
    if (a.tokenType === Slash && b.tokenType === Star && b.startOffset === a.startOffset + 1) {
      return diagnostic({ code: Codes.LexError, message: 'unclosed block comment', span: { file, start: a.startOffset, end: a.startOffset + 2 }, label: 'this comment never ends', help: 'end it with `*/`' });
    }
  }
  return null;
}

/** The first bracket or prefix operator past MAX_NESTING levels, found by counting tokens (no recursion). */
function nestingTooDeep(tokens: readonly IToken[], file: string): Diagnostic | null {
  let depth = 0;
  let prefixes = 0;
  for (const t of tokens) {
    if (t.tokenType === LParen || t.tokenType === LBracket || t.tokenType === LBrace) depth++;
    else if (t.tokenType === RParen || t.tokenType === RBracket || t.tokenType === RBrace) depth = Math.max(0, depth - 1);
    prefixes = t.tokenType === Minus || t.tokenType === Not ? prefixes + 1 : 0;
    if (depth > MAX_NESTING || prefixes > MAX_NESTING) {
      const what = depth > MAX_NESTING ? 'brackets' : 'prefix operators';
      return diagnostic({
        code: Codes.NestingTooDeep, message: `${what} nested more than ${MAX_NESTING} levels deep`, span: { file, start: t.startOffset, end: t.startOffset + t.image.length },
        label: `level ${MAX_NESTING + 1}`, help: `a program needs far fewer; the compiler reads at most ${MAX_NESTING} levels, so it stopped here without parsing the file`,
      });
    }
  }
  return null;
}

/** Numbers a double cannot hold (`1e309`) would become Infinity, which a job (JSON) cannot carry. */
function hugeNumbers(tokens: readonly IToken[], file: string): Diagnostic[] {
  // A malformed number (NaN) has its own diagnostic (repair-tokens.ts).
  return tokens.filter((t) => t.tokenType === NumberLiteral && Number(t.image) === Infinity).map((t) => diagnostic({
    code: Codes.NumberTooLarge, message: `the number \`${t.image}\` is too large to represent`, span: { file, start: t.startOffset, end: t.startOffset + t.image.length },
    label: 'infinite as a double', help: 'numbers must be below about 1.8e308',
  }));
}

/** `repairs` are the diagnostics of repaired tokens: reported like lexing errors, once per declaration. */
function parseLexed(text: string, file: string, lexed: ReturnType<typeof lex>, repairs: readonly Diagnostic[]): { value: Program; diagnostics: Diagnostic[] } {
  const builder = new AstBuilder(file, text.length);
  // A program without syntax errors is parsed one declaration at a time (see parseItems); any error, and the whole
  // text is parsed again at once, so recovery and its messages do not depend on where an item was cut.
  if (lexed.errors.length === 0 && repairs.length === 0) {
    const imports: Import[] = [];
    const declarations: Declaration[] = [];
    const clean = parseItems(lexed.tokens, (cst) => {
      const part = builder.program(cst);
      imports.push(...part.imports);
      declarations.push(...part.declarations);
    });
    if (clean) return { value: { type: 'Program', file, imports, declarations, span: { file, start: 0, end: text.length } }, diagnostics: [] };
  }
  const { cst, lexErrors, parseErrors } = parseCst(text, lexed);
  const value = builder.program(cst);
  const items = [...value.imports, ...value.declarations].sort((a, b) => a.span.start - b.span.start);
  /** The last item starting at or before `offset` (the one being parsed there). */
  const itemAt = (offset: number): Import | Declaration | null => {
    let found: Import | Declaration | null = null;
    for (const item of items) {
      if (item.span.start > offset) break;
      found = item;
    }
    return found;
  };

  const errors: SyntaxError[] = [];
  for (const repair of repairs) {
    const start = repair.primary.span.start;
    const owner = itemAt(start);
    errors.push({ start, owner: owner && start < owner.span.end ? owner : null, diagnostic: repair });
  }
  for (const e of lexErrors) {
    const found = text.slice(e.offset, e.offset + Math.max(1, e.length));
    const owner = itemAt(e.offset);
    if (found.startsWith('"')) {
      // The string pattern stops at a line end: a lone quote is a string that never closes.
      errors.push({
        start: e.offset, owner: owner && e.offset < owner.span.end ? owner : null,
        diagnostic: diagnostic({ code: Codes.LexError, message: 'unterminated string', span: { file, start: e.offset, end: e.offset + 1 }, label: 'this string is not closed on its line', help: 'end it with `"` before the line ends' }),
      });
      continue;
    }
    errors.push({
      start: e.offset,
      owner: owner && e.offset < owner.span.end ? owner : null,
      diagnostic: diagnostic({
        code: Codes.LexError,
        message: `unexpected character \`${found}\``,
        span: { file, start: e.offset, end: e.offset + Math.max(1, e.length) },
        label: 'not part of the language',
        help: found === "'" ? 'strings use double quotes: "like this"' : null,
      }),
    });
  }
  for (const e of parseErrors) {
    const unfinished = unfinishedExpression(e, lexed.tokens, text, file);
    if (unfinished) {
      errors.push({ start: unfinished.primary.span.start, owner: itemAt(unfinished.primary.span.start), diagnostic: unfinished });
      continue;
    }
    const token = e.token;
    let start = Number.isFinite(token.startOffset) ? token.startOffset : text.length;
    let end = Number.isFinite(token.endOffset) && token.endOffset !== undefined ? token.endOffset + 1 : start;
    if (token.tokenType.name === 'EOF') {
      start = Math.max(0, text.trimEnd().length - 1);
      end = start + 1;
    }
    const owner = insideItem(e) ? itemAt(anchorOf(e, start)) : null;
    const unclosed = owner && unclosedBracket(e, lexed.tokens, owner.span.start, text, file);
    if (unclosed) {
      errors.push({ start: unclosed.primary.span.start, owner, diagnostic: unclosed });
      continue;
    }
    errors.push({
      start,
      owner,
      diagnostic: diagnostic({ code: Codes.ParseError, message: e.message, span: { file, start, end }, label: labelFor(e.message), help: helpFor(e.message, token) }),
    });
  }

  const diagnostics: Diagnostic[] = [];
  const reportedOwners = new Set<Import | Declaration>();
  const reportedAt = new Set<number>();
  for (const error of errors.sort((a, b) => a.start - b.start)) {
    if (error.owner) {
      error.owner.recovered = true;
      if (reportedOwners.has(error.owner)) continue;
      reportedOwners.add(error.owner);
    }
    // One error per position, whoever owns it: recovery can report the same spot twice (jlox's rule).
    if (reportedAt.has(error.start)) continue;
    reportedAt.add(error.start);
    diagnostics.push(error.diagnostic);
  }
  return { value, diagnostics };
}

/**
 * `target: y ==` at the end of a line: newlines mean nothing to the grammar, so the next field's name is read as the
 * right side (`y == head`) and the parser only stumbles at its `:`. Said as it is: the expression before is
 * unfinished. Recognized by the tokens before the offending `:`: a name, and before it, on an earlier line, a binary
 * operator.
 */
function unfinishedExpression(e: IRecognitionException, tokens: readonly IToken[], text: string, file: string): Diagnostic | null {
  if (e.token.image !== ':') return null;
  const at = tokens.findIndex((t) => t.startOffset === e.token.startOffset);
  const name = tokens[at - 1];
  const operator = tokens[at - 2];
  if (!name || !operator || name.tokenType !== Identifier || !binaryOperators.includes(operator.tokenType)) return null;
  if (!text.slice(operator.startOffset, name.startOffset).includes('\n')) return null;
  const opSpan = { file, start: operator.startOffset, end: operator.startOffset + operator.image.length };
  return diagnostic({
    code: Codes.ParseError, message: `the expression ends with \`${operator.image}\` and nothing after it`, span: opSpan, label: 'needs a right-hand side',
    secondary: [{ span: { file, start: name.startOffset, end: name.startOffset + name.image.length }, message: `so \`${name.image}\`, the next field's name, was read as it` }],
    help: `finish the expression on this line (e.g. \`${operator.image} 1\`), or remove the \`${operator.image}\``,
  });
}

/** Whether the parser was inside an import or a declaration (not between them) when it failed. */
function insideItem(e: IRecognitionException): boolean {
  const stack = e.context?.ruleStack ?? [];
  return stack.includes('declaration') || stack.includes('importDecl');
}

/**
 * The offset that tells which item an error belongs to: the last token read before it. The offending token itself
 * may already be the next declaration's keyword (`expected '}', found 'task'`).
 */
function anchorOf(e: IRecognitionException, start: number): number {
  const previous = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  return previous && Number.isFinite(previous.startOffset) ? previous.startOffset : start;
}

/** The headline's "expected …" under the token; the list of declaration keywords is too long to say twice. */
function labelFor(message: string): string {
  const expected = message.split(', found')[0] ?? '';
  return expected.startsWith('expected a declaration') ? 'not the start of a declaration' : expected;
}

function helpFor(message: string, found: IToken): string | null {
  // `backbone: task`: true, false and null are values; the other keywords never are.
  if (keywords.includes(found.tokenType) && !['true', 'false', 'null'].includes(found.image) && /^expected (a value|a name)/.test(message)) {
    return `\`${found.image}\` is a keyword, so it cannot be a name: rename what it refers to`;
  }
  if (message.startsWith("expected ':'")) return 'fields and named arguments are written `name: value`';
  if (message.startsWith("expected '}'")) return 'every `{` needs a matching `}`';
  if (message.startsWith("expected ')'")) return 'every `(` needs a matching `)`; separate arguments with commas';
  if (message.startsWith("expected ']'")) return 'separate list items with commas; every `[` needs a matching `]`';
  return null;
}

/**
 * A block left open before the next declaration (or the end of the file). The parser only stumbles at the next
 * declaration (`task t {` read as a field `task` missing its `:`), far from the mistake; said as it is instead: the
 * bracket that is never closed, and where the next declaration starts.
 */
import type { IRecognitionException, IToken, TokenType } from 'chevrotain';
import { Equals, Identifier, Import, LBrace, LBracket, LParen, RBrace, RBracket, RParen, StringLiteral, declarationKeywords } from '../../grammar/tokens.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';

const CLOSER = new Map<TokenType, TokenType>([[LBrace, RBrace], [LParen, RParen], [LBracket, RBracket]]);
const CLOSERS = new Set(CLOSER.values());

/**
 * `e` is the parse error; `from` is the start of the declaration it was found in. Only a bracket that nothing closes,
 * up to the end of the file, is reported: a field written like a declaration (`dataset rows` without its `:`) inside a
 * block that is closed later is the parser's ordinary error.
 */
export function unclosedBracket(e: IRecognitionException, tokens: readonly IToken[], from: number, text: string, file: string): Diagnostic | null {
  const atEnd = e.token.tokenType.name === 'EOF';
  const errorAt = atEnd ? text.length : e.token.startOffset;
  const first = tokens.findIndex((t) => t.startOffset >= from);
  if (first < 0) return null;
  const open: IToken[] = [];
  let found: { bracket: IToken; next: IToken | null } | null = null;
  for (let i = first; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!found && i > first && open.length && t.startOffset <= errorAt && startsDeclarationLine(tokens, i, text)) found = { bracket: open[open.length - 1]!, next: t };
    if (CLOSER.has(t.tokenType)) open.push(t);
    // A closer that does not match is not counted: the bracket it should close is the one reported.
    else if (CLOSERS.has(t.tokenType) && open.length && CLOSER.get(open[open.length - 1]!.tokenType) === t.tokenType) open.pop();
  }
  if (!found && atEnd && open.length) found = { bracket: open[open.length - 1]!, next: null };
  if (!found || !open.includes(found.bracket)) return null;
  const last = tokens[tokens.length - 1]!;
  return found.next
    ? report(found.bracket, found.next, 'the next declaration starts here, with no `%` before it', file)
    : report(found.bracket, last, 'the file ends after this, with no `%`', file);
}

/** `whereLabel` says `%` for the missing closer. */
function report(bracket: IToken, where: IToken, whereLabel: string, file: string): Diagnostic {
  const closer = CLOSER.get(bracket.tokenType)!.LABEL!.replace(/'/g, '');
  const whereSpan = { file, start: where.startOffset, end: where.startOffset + where.image.length };
  return diagnostic({
    code: Codes.ParseError, message: `unclosed \`${bracket.image}\``, span: { file, start: bracket.startOffset, end: bracket.startOffset + 1 },
    label: `this \`${bracket.image}\` is never closed`, secondary: [{ span: whereSpan, message: whereLabel.replace('%', closer) }],
    help: `add the missing \`${closer}\``,
  });
}

/** A declaration keyword (or `import`) that is the first token on its line and is followed by what starts one. */
function startsDeclarationLine(tokens: readonly IToken[], i: number, text: string): boolean {
  const t = tokens[i]!;
  const next = tokens[i + 1]?.tokenType;
  const starts = t.tokenType === Import ? next === StringLiteral : declarationKeywords.includes(t.tokenType) && (next === Identifier || next === LBrace || next === Equals);
  return starts && text.slice(tokens[i - 1]!.startOffset + tokens[i - 1]!.image.length, t.startOffset).includes('\n');
}

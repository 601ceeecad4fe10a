/** Text → AST for one file, with lexing and parsing errors as diagnostics. Never throws on bad input. */
import { parseCst } from '../../grammar/parser.js';
import { AstBuilder } from './build-ast.js';
import type { Program } from './ast.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';

export function parseText(text: string, file: string): { value: Program; diagnostics: Diagnostic[] } {
  const { cst, lexErrors, parseErrors } = parseCst(text);
  const diagnostics: Diagnostic[] = [];
  for (const e of lexErrors) {
    const found = text.slice(e.offset, e.offset + Math.max(1, e.length));
    diagnostics.push(diagnostic({
      code: Codes.LexError,
      message: `unexpected character \`${found}\``,
      span: { file, start: e.offset, end: e.offset + Math.max(1, e.length) },
      label: 'not part of the language',
      help: found === "'" ? 'strings use double quotes: "like this"' : null,
    }));
  }
  // One error per position: recovery can report the same spot twice (jlox's rule).
  const seen = new Set<number>();
  for (const e of parseErrors) {
    const token = e.token;
    let start = Number.isFinite(token.startOffset) ? token.startOffset : text.length;
    let end = Number.isFinite(token.endOffset) && token.endOffset !== undefined ? token.endOffset + 1 : start;
    if (token.tokenType.name === 'EOF') {
      start = Math.max(0, text.trimEnd().length - 1);
      end = start + 1;
    }
    if (seen.has(start)) continue;
    seen.add(start);
    diagnostics.push(diagnostic({
      code: Codes.ParseError,
      message: e.message,
      span: { file, start, end },
      label: e.message.split(', found')[0] ?? '',
      help: helpFor(e.message),
    }));
  }
  const value = new AstBuilder(file, text.length).program(cst);
  return { value, diagnostics };
}

function helpFor(message: string): string | null {
  if (message.startsWith("expected ':'")) return 'fields and named arguments are written `name: value`';
  if (message.startsWith("expected '}'")) return 'every `{` needs a matching `}`';
  if (message.startsWith("expected ')'")) return 'every `(` needs a matching `)`; separate arguments with commas';
  if (message.startsWith("expected ']'")) return 'separate list items with commas; every `[` needs a matching `]`';
  return null;
}

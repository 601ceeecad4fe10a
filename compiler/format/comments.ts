/**
 * The comments of a program, which the lexer skips: found in the gaps between its tokens (a program that lexes
 * cleanly has only whitespace and comments there), so the grammar and the parser stay as they are.
 */
import type { IToken } from 'chevrotain';

export interface Comment {
  start: number;
  end: number;
  /** As written, trailing spaces removed. */
  text: string;
  /** A `//` or `#` comment: the line must end after it. */
  toLineEnd: boolean;
}

export function findComments(text: string, tokens: readonly IToken[]): Comment[] {
  const comments: Comment[] = [];
  let from = 0;
  for (const token of [...tokens, null]) {
    const to = token ? token.startOffset : text.length;
    let at = from;
    while (at < to) {
      if (text.startsWith('//', at) || text[at] === '#') {
        let end = text.indexOf('\n', at);
        if (end < 0 || end > to) end = to;
        comments.push({ start: at, end, text: text.slice(at, end).trimEnd(), toLineEnd: true });
        at = end;
      } else if (text.startsWith('/*', at)) {
        const close = text.indexOf('*/', at + 2);
        const end = close < 0 || close + 2 > to ? to : close + 2;
        comments.push({ start: at, end, text: text.slice(at, end), toLineEnd: false });
        at = end;
      } else {
        at++;
      }
    }
    if (token) from = token.startOffset + token.image.length;
  }
  return comments;
}

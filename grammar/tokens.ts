/**
 * The lexicon of `.mtl`. Every token has a `label`: the human name used in parse errors
 * ("expected a name, found '}'"). Keywords use `longer_alt: Identifier` so `tasks` stays a name.
 */
import type { IToken, TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /(?:\/\/|#)[^\n\r]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, line_breaks: true });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

function keyword(word: string): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });
}

// Declaration keywords.
export const Import = keyword('import');
export const As = keyword('as');
export const Dataset = keyword('dataset');
export const Features = keyword('features');
export const Backbone = keyword('backbone');
export const Task = keyword('task');
export const Share = keyword('share');
export const Train = keyword('train');
// Expression keywords.
export const True = keyword('true');
export const False = keyword('false');
export const Null = keyword('null');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
export const In = keyword('in');

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'a string' });
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/, label: 'a number' });

export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/, label: "'=='" });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: "'!='" });
export const LessEq = createToken({ name: 'LessEq', pattern: /<=/, label: "'<='" });
export const GreaterEq = createToken({ name: 'GreaterEq', pattern: />=/, label: "'>='" });
export const Less = createToken({ name: 'Less', pattern: /</, label: "'<'" });
export const Greater = createToken({ name: 'Greater', pattern: />/, label: "'>'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });

/** Binary operators (their precedence is the AST builder's business). */
export const binaryOperators: TokenType[] = [Or, And, EqEq, NotEq, LessEq, GreaterEq, Less, Greater, In, Plus, Minus, Star, Slash];

/** The keywords that start a declaration. */
export const declarationKeywords: TokenType[] = [Dataset, Features, Backbone, Task, Share, Train];

/** Every keyword: none names a declaration, any names a field or an argument. */
export const keywords: TokenType[] = [Import, As, Dataset, Features, Backbone, Task, Share, Train, True, False, Null, And, Or, Not, In];

/** Tokens that can name a field or an argument. */
export const nameTokens: TokenType[] = [Identifier, ...keywords];

/** Order matters: comments before '/', longer operators before their prefixes, keywords before Identifier. */
export const allTokens: TokenType[] = [
  WhiteSpace, LineComment, BlockComment,
  Import, As, Dataset, Features, Backbone, Task, Share, Train, True, False, Null, And, Or, Not, In,
  Identifier, StringLiteral, NumberLiteral,
  LBrace, RBrace, LParen, RParen, LBracket, RBracket, Comma, Colon, Dot,
  EqEq, NotEq, LessEq, GreaterEq, Less, Greater, Equals, Plus, Minus, Star, Slash,
];

/**
 * Offsets only: lines and columns are computed when a diagnostic is printed. Chevrotain's offset-only tokens carry a
 * start but no end, which the parser's node locations need; giving every token its end when it is made (rather than
 * adding the property afterwards, which grows each of tens of thousands of tokens a second property store) is the
 * one chevrotain internal we override: `createOffsetOnlyToken`, the factory the lexer picks for 'onlyOffset'.
 */
class MtlLexer extends Lexer {
  createOffsetOnlyToken(image: string, startOffset: number, tokenTypeIdx: number, tokenType: TokenType): IToken {
    return { image, startOffset, endOffset: startOffset + image.length - 1, tokenTypeIdx, tokenType };
  }
}

export const mtlLexer = new MtlLexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: false });

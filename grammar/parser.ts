/**
 * The concrete syntax of `.mtl`, as a chevrotain CST parser. Rules are class fields so a misspelled
 * rule is a compile error. The grammar is small on purpose: every declaration is a keyword, a name and
 * either a block of `field: expression` or `= expression`; what the fields mean is the checker's job.
 *
 *   program     := (import | declaration)*
 *   import      := 'import' STRING ('as' NAME)?
 *   declaration := ('dataset'|'features'|'backbone'|'task'|'share'|'train') NAME? (record | '=' expression)
 *   record      := '{' (fieldName ':' expression ','?)* '}'   (fieldName: a NAME or any keyword)
 *   expression  := unary (binop unary)*      binop, loosest first: 'or' | 'and' | '==' '!=' '<' '<=' '>' '>=' 'in' | '+' '-' | '*' '/'
 *   unary       := ('not' | '-')* primary ('.' NAME | '(' arguments ')')*
 *   (precedence is applied when the AST is built: `not` takes a comparison, `-` a single operand; all binary
 *   operators are left-associative)
 *   arguments   := (argument (',' argument)* ','?)? ; argument := (fieldName ':')? expression
 *   primary     := NUMBER | STRING | 'true' | 'false' | 'null' | NAME | list | record | '(' expression ')'
 *   list        := '[' (expression (',' expression)* ','?)? ']'
 *   (`fieldName` and `primary` are written inline in the rules that use them and make no CST nodes of their own: a
 *   plain value is two nodes, `expression` and `unary`)
 */
import type { CstNode, IOrAlt, IRecognitionException, ILexingError, IToken } from 'chevrotain';
import { CstParser } from './chevrotain.js';
import * as T from './tokens.js';
import { messages } from './messages.js';

class MtlParser extends CstParser {
  // Alternatives of the rules run for every value, built once: a fresh array of closures per call was a large
  // share of what parsing allocates (chevrotain's "OR caching"). The closures call `this.CONSUME` when they run,
  // so the same array serves the grammar-recording phase and parsing.
  private nameAlternatives?: IOrAlt<unknown>[];
  private operatorAlternatives?: IOrAlt<unknown>[];
  private primaryAlternatives?: IOrAlt<unknown>[];
  private prefixAlternatives?: IOrAlt<unknown>[];
  private suffixAlternatives?: IOrAlt<unknown>[];

  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: messages, nodeLocationTracking: 'onlyOffset' });
    this.performSelfAnalysis();
  }

  program = this.RULE('program', () => {
    this.MANY(() => this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.declaration) },
    ]));
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
  });

  declaration = this.RULE('declaration', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Dataset) },
      { ALT: () => this.CONSUME(T.Features) },
      { ALT: () => this.CONSUME(T.Backbone) },
      { ALT: () => this.CONSUME(T.Task) },
      { ALT: () => this.CONSUME(T.Share) },
      { ALT: () => this.CONSUME(T.Train) },
    ]);
    this.OPTION(() => this.CONSUME(T.Identifier));
    this.OR2([
      { ALT: () => this.SUBRULE(this.record) },
      { ALT: () => {
        this.CONSUME(T.Equals);
        this.SUBRULE(this.expression);
      } },
    ]);
  });

  record = this.RULE('record', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.field);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  /** Field and argument names may be keywords: `train: 0.8` in `ratio(...)`, `features: person` in a task. */
  field = this.RULE('field', () => {
    this.OR(this.nameAlternatives ??= T.nameTokens.map((token) => ({ ALT: () => this.CONSUME(token) })));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });

  /**
   * Binary operators are parsed flat, `operand (op operand)*`, and given their precedence when the AST is built:
   * one CST node per operand instead of one per precedence level keeps the CST of a large program small
   * (it was most of the time and memory of compiling a thousand tasks).
   */
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR(this.operatorAlternatives ??= T.binaryOperators.map((token) => ({ ALT: () => this.CONSUME(token) })));
      this.SUBRULE2(this.unary);
    });
  });

  /**
   * An operand: prefix operators, a primary (a literal, a name, a list, a record or a parenthesized expression), then
   * member accesses and calls. The primary is not a rule of its own, for the same reason as above.
   */
  unary = this.RULE('unary', () => {
    this.MANY(this.prefixOperator);
    this.OR3(this.primaryAlternatives ??= [
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.record) },
      { ALT: () => {
        this.CONSUME(T.LParen);
        this.SUBRULE(this.expression);
        this.CONSUME(T.RParen);
      } },
    ]);
    this.MANY2(this.memberOrCall);
  });

  private readonly prefixOperator = () => this.OR(this.prefixAlternatives ??= [{ ALT: () => this.CONSUME(T.Not) }, { ALT: () => this.CONSUME(T.Minus) }]);

  private readonly memberOrCall = () => this.OR2(this.suffixAlternatives ??= [
    { ALT: () => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier);
    } },
    { ALT: () => this.SUBRULE(this.callArguments) },
  ]);

  callArguments = this.RULE('callArguments', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.OPTION2(() => this.SUBRULE2(this.argument));
      });
    });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE('argument', () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.OR(this.nameAlternatives ??= T.nameTokens.map((token) => ({ ALT: () => this.CONSUME(token) })));
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.expression);
  });

  list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.OPTION2(() => this.SUBRULE2(this.expression));
      });
    });
    this.CONSUME(T.RBracket);
  });
}

/** One parser instance, reused by resetting `input` (building one is the expensive part). */
const parser = new MtlParser();

export interface CstResult {
  cst: CstNode;
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
}

export interface Lexed {
  tokens: IToken[];
  errors: ILexingError[];
}

/** Lexes one file's text. Never throws: characters that are not part of the language come back as errors. */
export function lex(text: string): Lexed {
  const lexed = T.mtlLexer.tokenize(text);
  return { tokens: lexed.tokens, errors: lexed.errors };
}

/** Lexes and parses one file's text as a whole, recovering from errors. Never throws: errors come back as data. */
export function parseCst(text: string, lexed: Lexed = lex(text)): CstResult {
  parser.input = lexed.tokens;
  const cst = parser.program();
  return { cst, lexErrors: lexed.errors, parseErrors: [...parser.errors] };
}

const startsDeclaration = new Set(T.declarationKeywords);
const afterDeclarationKeyword = new Set([T.Identifier, T.LBrace, T.Equals]);

/**
 * Parses a program one top-level item (import or declaration) at a time, handing each item's CST to `visit`, so the
 * CST of a large program never exists all at once (it dominated the memory, and so the time, of compiling one).
 * Items start at `import "..."` or at a declaration keyword followed by a name, `{` or `=`: elsewhere in a valid
 * program those keywords only name fields (`features: f`). Returns false at the first item with a syntax error;
 * the caller then parses the whole text with `parseCst`, whose recovery and messages are the reference.
 */
export function parseItems(tokens: readonly IToken[], visit: (cst: CstNode) => void): boolean {
  const startsItem = (i: number) => {
    const type = tokens[i]!.tokenType;
    const next = tokens[i + 1]?.tokenType;
    return type === T.Import ? next === T.StringLiteral : startsDeclaration.has(type) && next !== undefined && afterDeclarationKeyword.has(next);
  };
  let start = 0;
  for (let i = 1; i <= tokens.length; i++) {
    if (i < tokens.length && !startsItem(i)) continue;
    parser.input = tokens.slice(start, i) as IToken[];
    const cst = parser.program();
    if (parser.errors.length > 0) return false;
    visit(cst);
    start = i;
  }
  return true;
}

export const productions = () => parser.getGAstProductions();

/**
 * The concrete syntax of `.mtl`, as a chevrotain CST parser. Rules are class fields so a misspelled
 * rule is a compile error. The grammar is small on purpose: every declaration is a keyword, a name and
 * either a block of `field: expression` or `= expression`; what the fields mean is the checker's job.
 *
 *   program     := (import | declaration)*
 *   import      := 'import' STRING ('as' NAME)?
 *   declaration := ('dataset'|'features'|'backbone'|'task'|'share'|'train') NAME? (record | '=' expression)
 *   record      := '{' (fieldName ':' expression ','?)* '}'   (fieldName: a NAME or any keyword)
 *   expression  := or ; or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | comparison
 *   comparison  := additive (('=='|'!='|'<'|'<='|'>'|'>='|'in') additive)?
 *   additive    := multiplicative (('+'|'-') multiplicative)* ; multiplicative := unary (('*'|'/') unary)*
 *   unary       := '-' unary | postfix ; postfix := primary ('.' NAME | '(' arguments ')')*
 *   arguments   := (argument (',' argument)* ','?)? ; argument := (fieldName ':')? expression
 *   primary     := NUMBER | STRING | 'true' | 'false' | 'null' | NAME | list | record | '(' expression ')'
 *   list        := '[' (expression (',' expression)* ','?)? ']'
 */
import { CstParser, type CstNode, type IRecognitionException, type ILexingError } from 'chevrotain';
import * as T from './tokens.js';
import { messages } from './messages.js';

class MtlParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: messages });
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

  field = this.RULE('field', () => {
    this.SUBRULE(this.fieldName);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });

  /** Field and argument names may be keywords: `train: 0.8` in `ratio(...)`, `features: person` in a task. */
  fieldName = this.RULE('fieldName', () => {
    this.OR(T.nameTokens.map((token) => ({ ALT: () => this.CONSUME(token) })));
  });

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.orExpr);
  });

  orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      { ALT: () => {
        this.CONSUME(T.Not);
        this.SUBRULE(this.notExpr);
      } },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.EqEq) },
        { ALT: () => this.CONSUME(T.NotEq) },
        { ALT: () => this.CONSUME(T.LessEq) },
        { ALT: () => this.CONSUME(T.GreaterEq) },
        { ALT: () => this.CONSUME(T.Less) },
        { ALT: () => this.CONSUME(T.Greater) },
        { ALT: () => this.CONSUME(T.In) },
      ]);
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }]);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      { ALT: () => {
        this.CONSUME(T.Minus);
        this.SUBRULE(this.unary);
      } },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => this.OR([
      { ALT: () => {
        this.CONSUME(T.Dot);
        this.CONSUME(T.Identifier);
      } },
      { ALT: () => this.SUBRULE(this.callArguments) },
    ]));
  });

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
        this.SUBRULE(this.fieldName);
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.expression);
  });

  primary = this.RULE('primary', () => {
    this.OR([
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

/** Lexes and parses one file's text. Never throws on bad input: errors come back as data. */
export function parseCst(text: string): CstResult {
  const lexed = T.mtlLexer.tokenize(text);
  parser.input = lexed.tokens;
  const cst = parser.program();
  return { cst, lexErrors: lexed.errors, parseErrors: [...parser.errors] };
}

export const productions = () => parser.getGAstProductions();

/**
 * CST → typed AST. Kept apart from the grammar so the grammar stays pure syntax.
 * Nodes the parser recovered from may lack tokens; they become `Error` expressions (no second error).
 */
import type { CstNode, CstElement, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { nameTokens } from '../../grammar/tokens.js';
import type { Span } from '../diagnostics/diagnostic.js';

type Children = Record<string, CstElement[] | undefined>;

const NONE: readonly CstElement[] = [];

/** Binding strength of binary operators, loosest first (render/print-source.ts prints with the same numbers). */
const PRECEDENCE: Record<A.BinaryOperator, number> = { or: 1, and: 2, '==': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, in: 4, '+': 5, '-': 5, '*': 6, '/': 6 };
/** `not` applies to a comparison; prefix `-` to one operand (tighter than any binary operator). */
const NOT_OPERAND = 4;
const MINUS_OPERAND = 7;
const NAME_TOKEN_NAMES = nameTokens.map((t) => t.name);
const BINARY_TOKEN_NAMES = ['Or', 'And', 'EqEq', 'NotEq', 'LessEq', 'GreaterEq', 'Less', 'Greater', 'In', 'Plus', 'Minus', 'Star', 'Slash'];

type Item = { kind: 'prefix'; token: IToken } | { kind: 'operand'; expr: A.Expr } | { kind: 'operator'; token: IToken | null };

function isToken(element: CstElement): element is IToken {
  return (element as IToken).image !== undefined;
}

export class AstBuilder {
  constructor(private readonly file: string, private readonly textLength: number) {}

  private tokenSpan(token: IToken): Span {
    const start = Number.isFinite(token.startOffset) ? token.startOffset : this.textLength;
    const end = Number.isFinite(token.endOffset) && token.endOffset !== undefined ? token.endOffset + 1 : start;
    return { file: this.file, start, end };
  }

  /**
   * The span from the first to the last token under a CST node. The parser tracks node offsets as it goes
   * (`nodeLocationTracking`); tokens inserted by error recovery have NaN offsets and are left out of them.
   */
  private nodeSpan(node: CstNode): Span {
    const location = node.location;
    if (!location || !Number.isFinite(location.startOffset)) return { file: this.file, start: this.textLength, end: this.textLength };
    // `| 0`: chevrotain starts locations at NaN, so their offsets are stored as doubles; copied as they are, every
    // span of the program would box its two offsets (80,000 heap numbers for a thousand tasks).
    return { file: this.file, start: location.startOffset | 0, end: ((location.endOffset ?? location.startOffset) + 1) | 0 };
  }

  // A CST child list holds only tokens (keyed by token name) or only nodes (keyed by rule name): no filtering needed,
  // which matters because the builder reads children of every one of the tens of thousands of nodes of a big program.
  private tokens(children: Children, name: string): IToken[] {
    return (children[name] ?? NONE) as IToken[];
  }

  private nodes(children: Children, name: string): CstNode[] {
    return (children[name] ?? NONE) as CstNode[];
  }

  program(cst: CstNode): A.Program {
    const imports = this.nodes(cst.children, 'importDecl').map((n) => this.importDecl(n));
    const declarations = this.nodes(cst.children, 'declaration').map((n) => this.declaration(n));
    return { type: 'Program', file: this.file, imports, declarations, span: { file: this.file, start: 0, end: this.textLength } };
  }

  private importDecl(node: CstNode): A.Import {
    const path = this.tokens(node.children, 'StringLiteral')[0];
    const alias = this.tokens(node.children, 'Identifier')[0];
    const span = this.nodeSpan(node);
    return {
      type: 'Import',
      path: path ? unquote(path.image) : '',
      pathSpan: path ? this.tokenSpan(path) : span,
      alias: alias ? { text: alias.image, span: this.tokenSpan(alias) } : null,
      span,
    };
  }

  private declaration(node: CstNode): A.Declaration {
    const c = node.children;
    const keyword = ['Dataset', 'Features', 'Backbone', 'Task', 'Share', 'Train'].map((k) => this.tokens(c, k)[0]).find(Boolean)!;
    const name = this.tokens(c, 'Identifier')[0];
    const record = this.nodes(c, 'record')[0];
    const expression = this.nodes(c, 'expression')[0];
    const span = this.nodeSpan(node);
    const body: A.Expr = record ? this.record(record) : expression ? this.expression(expression) : { type: 'Error', span };
    return {
      type: 'Declaration',
      kind: keyword.image as A.DeclarationKind,
      kindSpan: this.tokenSpan(keyword),
      name: name ? { text: name.image, span: this.tokenSpan(name) } : null,
      body,
      form: record ? 'block' : 'assign',
      span,
    };
  }

  private record(node: CstNode): A.RecordExpr {
    const fields = this.nodes(node.children, 'field').map((f): A.Field => {
      const name = this.fieldName(f);
      const value = this.nodes(f.children, 'expression')[0];
      const span = this.nodeSpan(f);
      return {
        name: name ? { text: name.image, span: this.tokenSpan(name) } : { text: '', span },
        value: value ? this.expression(value) : { type: 'Error', span },
        span,
      };
    });
    return { type: 'Record', fields, span: this.nodeSpan(node) };
  }

  /**
   * An operand/operator sequence → a tree, by precedence climbing (the grammar parses operators flat). Prefix
   * operators belong to the operand after them: `not` takes a whole comparison (`not a == b` is `not (a == b)`),
   * `-` a single operand.
   */
  private expression(node: CstNode): A.Expr {
    const c = node.children;
    const operands = this.nodes(c, 'unary');
    if (operands.length === 0) return { type: 'Error', span: this.nodeSpan(node) };
    if (operands.length === 1 && !BINARY_TOKEN_NAMES.some((name) => c[name])) return this.prefixed(operands[0]!);
    const operators = BINARY_TOKEN_NAMES.flatMap((name) => this.tokens(c, name)).sort((a, b) => a.startOffset - b.startOffset);
    const items: Item[] = [];
    operands.forEach((operand, i) => {
      if (i > 0) items.push({ kind: 'operator', token: operators[i - 1] ?? null });
      for (const prefix of this.prefixes(operand)) items.push({ kind: 'prefix', token: prefix });
      items.push({ kind: 'operand', expr: this.postfix(operand) });
    });
    return this.climb(items, { at: 0 }, 0);
  }

  private climb(items: Item[], cursor: { at: number }, minPrecedence: number): A.Expr {
    const first = items[cursor.at++]!;
    let left: A.Expr;
    if (first.kind === 'prefix') left = this.applyPrefix(first.token, this.climb(items, cursor, first.token.image === 'not' ? NOT_OPERAND : MINUS_OPERAND));
    else if (first.kind === 'operand') left = first.expr;
    else left = { type: 'Error', span: this.tokenSpan(first.token!) };
    for (;;) {
      const next = items[cursor.at];
      if (next?.kind !== 'operator') return left;
      const op = (next.token?.image ?? '+') as A.BinaryOperator;
      const precedence = PRECEDENCE[op];
      if (precedence < minPrecedence) return left;
      cursor.at++;
      const right = this.climb(items, cursor, precedence + 1);
      left = { type: 'Binary', op, left, right, opSpan: next.token ? this.tokenSpan(next.token) : right.span, span: { file: this.file, start: left.span.start, end: right.span.end } };
    }
  }

  /** The prefix operators of an operand, in source order. */
  private prefixes(node: CstNode): IToken[] {
    const c = node.children;
    if (!c.Not) return this.tokens(c, 'Minus');
    if (!c.Minus) return this.tokens(c, 'Not');
    return [...this.tokens(c, 'Not'), ...this.tokens(c, 'Minus')].sort((a, b) => a.startOffset - b.startOffset);
  }

  /** An operand with its prefix operators applied (an expression without binary operators). */
  private prefixed(node: CstNode): A.Expr {
    let result = this.postfix(node);
    const prefixes = this.prefixes(node);
    for (let i = prefixes.length - 1; i >= 0; i--) result = this.applyPrefix(prefixes[i]!, result);
    return result;
  }

  private applyPrefix(token: IToken, operand: A.Expr): A.Expr {
    const span = { file: this.file, start: this.tokenSpan(token).start, end: operand.span.end };
    if (token.image === 'not') return { type: 'Unary', op: 'not', operand, span };
    // Fold `-3` into a literal so numbers read naturally everywhere (`min: -1`).
    if (operand.type === 'Number') return { type: 'Number', value: -operand.value, raw: `-${operand.raw}`, span };
    return { type: 'Unary', op: '-', operand, span };
  }

  /** An operand's primary followed by its member accesses and calls (the prefix operators are the caller's). */
  private postfix(node: CstNode): A.Expr {
    const c = node.children;
    const { expr, nameToken } = this.primary(node);
    let result = expr;
    const members = nameToken ? this.tokens(c, 'Identifier').filter((t) => t !== nameToken) : this.tokens(c, 'Identifier');
    if (members.length === 0 && !c.callArguments) return result;
    // Member accesses and calls interleave: order them by position.
    const steps: { offset: number; apply: (e: A.Expr) => A.Expr }[] = [];
    for (const id of members) {
      steps.push({
        offset: id.startOffset,
        apply: (object) => ({ type: 'Member', object, property: { text: id.image, span: this.tokenSpan(id) }, span: { file: this.file, start: object.span.start, end: this.tokenSpan(id).end } }),
      });
    }
    for (const call of this.nodes(c, 'callArguments')) {
      const span = this.nodeSpan(call);
      steps.push({
        offset: span.start,
        apply: (callee) => ({ type: 'Call', callee, args: this.nodes(call.children, 'argument').map((a) => this.argument(a)), span: { file: this.file, start: callee.span.start, end: span.end } }),
      });
    }
    steps.sort((a, b) => a.offset - b.offset);
    for (const step of steps) result = step.apply(result);
    return result;
  }

  /**
   * The primary of an operand (inlined in the `unary` rule): a literal, a name, a list, a record or a parenthesized
   * expression. A name is the operand's first identifier; the identifiers after it are member accesses.
   */
  private primary(node: CstNode): { expr: A.Expr; nameToken: IToken | null } {
    const c = node.children;
    const literal = (c.NumberLiteral ?? c.StringLiteral ?? c.True ?? c.False ?? c.Null)?.[0] as IToken | undefined;
    if (literal) {
      const span = this.tokenSpan(literal);
      switch (literal.tokenType.name) {
        case 'NumberLiteral': return { expr: { type: 'Number', value: Number(literal.image), raw: literal.image, span }, nameToken: null };
        case 'StringLiteral': return { expr: { type: 'String', value: unquote(literal.image), span }, nameToken: null };
        case 'True': return { expr: { type: 'Bool', value: true, span }, nameToken: null };
        case 'False': return { expr: { type: 'Bool', value: false, span }, nameToken: null };
        default: return { expr: { type: 'Null', span }, nameToken: null };
      }
    }
    const list = this.nodes(c, 'list')[0];
    if (list) return { expr: { type: 'List', items: this.nodes(list.children, 'expression').map((e) => this.expression(e)), span: this.nodeSpan(list) }, nameToken: null };
    const record = this.nodes(c, 'record')[0];
    if (record) return { expr: this.record(record), nameToken: null };
    const inner = this.nodes(c, 'expression')[0];
    if (inner) return { expr: this.expression(inner), nameToken: null };
    const name = this.tokens(c, 'Identifier').reduce<IToken | undefined>((first, t) => (!first || t.startOffset < first.startOffset ? t : first), undefined);
    if (name && !(c.Dot && c.Dot.some((dot) => (dot as IToken).startOffset < name.startOffset))) {
      return { expr: { type: 'Name', name: name.image, span: this.tokenSpan(name) }, nameToken: name };
    }
    return { expr: { type: 'Error', span: this.nodeSpan(node) }, nameToken: null };
  }

  /** The name of a field or named argument: an identifier or a keyword used as a name. */
  private fieldName(node: CstNode): IToken | undefined {
    for (const name of NAME_TOKEN_NAMES) {
      const token = node.children[name]?.[0];
      if (token && isToken(token)) return token;
    }
    return undefined;
  }

  private argument(node: CstNode): A.Argument {
    const name = this.fieldName(node);
    const valueNode = this.nodes(node.children, 'expression')[0];
    const span = this.nodeSpan(node);
    return {
      name: name ? { text: name.image, span: this.tokenSpan(name) } : null,
      value: valueNode ? this.expression(valueNode) : { type: 'Error', span },
      span,
    };
  }
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

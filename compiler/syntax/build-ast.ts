/**
 * CST → typed AST. Kept apart from the grammar so the grammar stays pure syntax.
 * Nodes the parser recovered from may lack tokens; they become `Error` expressions (no second error).
 */
import type { CstNode, CstElement, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { Span } from '../diagnostics/diagnostic.js';

type Children = Record<string, CstElement[] | undefined>;

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

  /** The span from the first to the last token under a CST node (recovered tokens have NaN offsets: skipped). */
  private nodeSpan(node: CstNode): Span {
    let start = Infinity;
    let end = -Infinity;
    const visit = (element: CstElement) => {
      if (isToken(element)) {
        if (Number.isFinite(element.startOffset)) {
          start = Math.min(start, element.startOffset);
          end = Math.max(end, (element.endOffset ?? element.startOffset) + 1);
        }
        return;
      }
      for (const children of Object.values(element.children)) children?.forEach(visit);
    };
    visit(node);
    if (!Number.isFinite(start)) return { file: this.file, start: this.textLength, end: this.textLength };
    return { file: this.file, start, end };
  }

  private tokens(children: Children, name: string): IToken[] {
    return (children[name] ?? []).filter(isToken);
  }

  private nodes(children: Children, name: string): CstNode[] {
    return (children[name] ?? []).filter((e): e is CstNode => !isToken(e));
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

  private expression(node: CstNode): A.Expr {
    const inner = this.nodes(node.children, 'orExpr')[0];
    return inner ? this.binaryChain(inner, 'andExpr', ['Or']) : { type: 'Error', span: this.nodeSpan(node) };
  }

  /** A left-associative chain `x (op x)*`, where `operand` names the sub-rule and `ops` the operator tokens. */
  private binaryChain(node: CstNode, operand: string, ops: string[]): A.Expr {
    const operands = this.nodes(node.children, operand).map((n) => this.dispatch(operand, n));
    const operators = ops.flatMap((op) => this.tokens(node.children, op)).sort((a, b) => a.startOffset - b.startOffset);
    if (operands.length === 0) return { type: 'Error', span: this.nodeSpan(node) };
    let result = operands[0]!;
    for (let i = 1; i < operands.length; i++) {
      const token = operators[i - 1];
      const right = operands[i]!;
      const op = (token?.image ?? '+') as A.BinaryOperator;
      result = { type: 'Binary', op, left: result, right, opSpan: token ? this.tokenSpan(token) : right.span, span: { file: this.file, start: result.span.start, end: right.span.end } };
    }
    return result;
  }

  private dispatch(rule: string, node: CstNode): A.Expr {
    switch (rule) {
      case 'andExpr': return this.binaryChain(node, 'notExpr', ['And']);
      case 'notExpr': return this.notExpr(node);
      case 'additive': return this.binaryChain(node, 'multiplicative', ['Plus', 'Minus']);
      case 'multiplicative': return this.binaryChain(node, 'unary', ['Star', 'Slash']);
      case 'unary': return this.unary(node);
      default: return { type: 'Error', span: this.nodeSpan(node) };
    }
  }

  private notExpr(node: CstNode): A.Expr {
    const not = this.tokens(node.children, 'Not')[0];
    if (not) {
      const operandNode = this.nodes(node.children, 'notExpr')[0];
      const operand: A.Expr = operandNode ? this.notExpr(operandNode) : { type: 'Error', span: this.tokenSpan(not) };
      return { type: 'Unary', op: 'not', operand, span: { file: this.file, start: this.tokenSpan(not).start, end: operand.span.end } };
    }
    const comparison = this.nodes(node.children, 'comparison')[0];
    return comparison ? this.comparison(comparison) : { type: 'Error', span: this.nodeSpan(node) };
  }

  private comparison(node: CstNode): A.Expr {
    const sides = this.nodes(node.children, 'additive').map((n) => this.dispatch('additive', n));
    const opToken = ['EqEq', 'NotEq', 'LessEq', 'GreaterEq', 'Less', 'Greater', 'In'].map((k) => this.tokens(node.children, k)[0]).find(Boolean);
    if (sides.length === 0) return { type: 'Error', span: this.nodeSpan(node) };
    if (!opToken || sides.length < 2) return sides[0]!;
    const [left, right] = sides as [A.Expr, A.Expr];
    return { type: 'Binary', op: opToken.image as A.BinaryOperator, left, right, opSpan: this.tokenSpan(opToken), span: { file: this.file, start: left.span.start, end: right.span.end } };
  }

  private unary(node: CstNode): A.Expr {
    const minus = this.tokens(node.children, 'Minus')[0];
    if (minus) {
      const operandNode = this.nodes(node.children, 'unary')[0];
      const operand: A.Expr = operandNode ? this.unary(operandNode) : { type: 'Error', span: this.tokenSpan(minus) };
      const span = { file: this.file, start: this.tokenSpan(minus).start, end: operand.span.end };
      // Fold `-3` into a literal so numbers read naturally everywhere (`min: -1`).
      if (operand.type === 'Number') return { type: 'Number', value: -operand.value, raw: `-${operand.raw}`, span };
      return { type: 'Unary', op: '-', operand, span };
    }
    const postfix = this.nodes(node.children, 'postfix')[0];
    return postfix ? this.postfix(postfix) : { type: 'Error', span: this.nodeSpan(node) };
  }

  private postfix(node: CstNode): A.Expr {
    const primaryNode = this.nodes(node.children, 'primary')[0];
    let result: A.Expr = primaryNode ? this.primary(primaryNode) : { type: 'Error', span: this.nodeSpan(node) };
    // Member accesses and calls interleave: order them by position.
    const steps: { offset: number; apply: (e: A.Expr) => A.Expr }[] = [];
    for (const id of this.tokens(node.children, 'Identifier')) {
      steps.push({
        offset: id.startOffset,
        apply: (object) => ({ type: 'Member', object, property: { text: id.image, span: this.tokenSpan(id) }, span: { file: this.file, start: object.span.start, end: this.tokenSpan(id).end } }),
      });
    }
    for (const call of this.nodes(node.children, 'callArguments')) {
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

  /** The name token under a `fieldName` child (an identifier or a keyword used as a name). */
  private fieldName(node: CstNode): IToken | undefined {
    const nameNode = this.nodes(node.children, 'fieldName')[0];
    if (!nameNode) return undefined;
    return Object.values(nameNode.children).flatMap((c) => c ?? []).find(isToken);
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

  private primary(node: CstNode): A.Expr {
    const c = node.children;
    const span = this.nodeSpan(node);
    const number = this.tokens(c, 'NumberLiteral')[0];
    if (number) return { type: 'Number', value: Number(number.image), raw: number.image, span };
    const string = this.tokens(c, 'StringLiteral')[0];
    if (string) return { type: 'String', value: unquote(string.image), span };
    if (this.tokens(c, 'True')[0]) return { type: 'Bool', value: true, span };
    if (this.tokens(c, 'False')[0]) return { type: 'Bool', value: false, span };
    if (this.tokens(c, 'Null')[0]) return { type: 'Null', span };
    const id = this.tokens(c, 'Identifier')[0];
    if (id) return { type: 'Name', name: id.image, span };
    const list = this.nodes(c, 'list')[0];
    if (list) return { type: 'List', items: this.nodes(list.children, 'expression').map((e) => this.expression(e)), span };
    const record = this.nodes(c, 'record')[0];
    if (record) return this.record(record);
    const inner = this.nodes(c, 'expression')[0];
    if (inner) return this.expression(inner);
    return { type: 'Error', span };
  }
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

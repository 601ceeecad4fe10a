/**
 * `mtl fmt`: one canonical layout for a program, built on its AST. Two-space indent, one field per line in a
 * declaration's block, lists and records on one line when they fit in 110 columns, packed across lines when their
 * items are plain values, one item per line otherwise; call arguments that are plain values packed under the first.
 * Comments stay where they were relative to the code around them (before an item, after it on its line, or at the
 * end of a block); blank lines between items are kept (one at most). Redundant parentheses go.
 *
 * A program with syntax errors is never formatted: its diagnostics come back instead.
 */
import { lex } from '../../grammar/parser.js';
import { parseText } from '../syntax/parse.js';
import type * as A from '../syntax/ast.js';
import { hasErrors, type Result } from '../diagnostics/diagnostic.js';
import { align, fill, group, hardline, ifBreak, indent, layout, line, softline, type Doc } from './doc.js';
import { findComments, type Comment } from './comments.js';
import { PRECEDENCE } from '../render/print-source.js';

export const FORMAT_WIDTH = 110;

/** Parentheses are printed where the AST builder's precedence needs them (print-source.ts does the same). */
const NOT_OPERAND = 3;
const MINUS_OPERAND = 7;
const POSTFIX = 9;

/**
 * The program's text in canonical layout, or null with the diagnostics of a program that does not parse. Throws only
 * on a bug of its own (a result that would not mean the same), never on a user's program.
 */
export function format(text: string, options: { file?: string } = {}): Result<string | null> {
  const file = options.file ?? '<input>';
  const parsed = parseText(text, file);
  if (hasErrors(parsed.diagnostics)) return { value: null, diagnostics: parsed.diagnostics };
  const comments = findComments(text, lex(text).tokens);
  const printer = new Printer(text, comments);
  const laid = layout(printer.program(parsed.value), FORMAT_WIDTH).replace(/^\n+/, '').trimEnd();
  const formatted = laid ? laid + '\n' : '';
  // A formatter that changes a program's meaning, or loses a comment, is worse than none: checked on every run.
  const again = parseText(formatted, file);
  const kept = findComments(formatted, lex(formatted).tokens).map((c) => c.text);
  if (hasErrors(again.diagnostics) || kept.join('\n') !== comments.map((c) => c.text).join('\n') || shape(again.value) !== shape(parsed.value)) {
    // Not the user's mistake: thrown, for the CLI to report as a bug in mtl with the input kept.
    throw new Error(`internal error: mtl fmt would change the meaning or the comments of ${file}; this is a bug in mtl`);
  }
  return { value: formatted, diagnostics: [] };
}

/** The AST without positions: two programs with the same shape mean the same. */
function shape(program: A.Program): string {
  return JSON.stringify(program, (key, value: unknown) => (key === 'span' || key.endsWith('Span') || key === 'file' || key === 'raw' ? undefined : value));
}

interface Item {
  start: number;
  end: number;
  doc: () => Doc;
}

type Style =
  /** A declaration's block and the program: one item per line, no commas. */
  | 'lines'
  /** `[…]` and `{…}`: flat when it fits, else packed (plain items) or one per line, with a trailing comma. */
  | 'brackets'
  /** `f(…)`: flat when it fits, else plain items packed under the first, other items one per line. */
  | 'arguments';

class Printer {
  private next = 0;

  constructor(private readonly text: string, private readonly comments: readonly Comment[]) {}

  program(program: A.Program): Doc {
    const items = [...program.imports, ...program.declarations].sort((a, b) => a.span.start - b.span.start)
      .map((item): Item => ({ start: item.span.start, end: item.span.end, doc: () => (item.type === 'Import' ? this.importDecl(item) : this.declaration(item)) }));
    return this.onePerLine(items, this.text.length, '');
  }

  private importDecl(item: A.Import): Doc {
    const path = this.atom(this.source(item.pathSpan), item.pathSpan.start);
    return item.alias ? ['import ', path, ' as ', this.atom(item.alias.text, item.alias.span.start)] : ['import ', path];
  }

  private declaration(d: A.Declaration): Doc {
    const head: Doc[] = [this.atom(d.kind, d.kindSpan.start)];
    if (d.name) head.push(' ', this.atom(d.name.text, d.name.span.start));
    if (d.form === 'assign') return [...head, ' = ', this.expr(d.body)];
    const record = d.body as A.RecordExpr;
    return [...head, ' ', this.sequence(record.fields.map((f) => this.fieldItem(f)), record.span, 'lines', true)];
  }

  private fieldItem(f: A.Field): Item {
    return { start: f.span.start, end: f.span.end, doc: () => [this.atom(f.name.text, f.name.span.start), ': ', this.expr(f.value)] };
  }

  private expr(e: A.Expr, parent = 0): Doc {
    switch (e.type) {
      case 'Number': case 'String': case 'Bool': case 'Null': case 'Name': case 'Error':
        return this.atom(this.source(e.span), e.span.start);
      case 'Member': return [this.expr(e.object, POSTFIX), '.', this.atom(e.property.text, e.property.span.start)];
      case 'Call': {
        const args = e.args.map((a): Item => ({
          start: a.span.start, end: a.span.end,
          doc: () => (a.name ? [this.atom(a.name.text, a.name.span.start), ': ', this.expr(a.value)] : this.expr(a.value)),
        }));
        const plain = e.args.every((a) => isPlain(a.value));
        return [this.expr(e.callee, POSTFIX), this.sequence(args, { start: e.callee.span.end, end: e.span.end }, plain ? 'arguments' : 'brackets', false, '(', ')')];
      }
      case 'List': return this.sequence(e.items.map((i) => ({ start: i.span.start, end: i.span.end, doc: () => this.expr(i) })), e.span, 'brackets', e.items.every(isPlain), '[', ']');
      case 'Record': return this.sequence(e.fields.map((f) => this.fieldItem(f)), e.span, 'brackets', e.fields.every((f) => isPlain(f.value)), '{', '}');
      case 'Unary': {
        const binding = e.op === 'not' ? NOT_OPERAND : MINUS_OPERAND;
        const operator = this.atom(e.op === 'not' ? 'not ' : '-', e.span.start);
        return this.parenthesized([operator, this.expr(e.operand, binding)], parent > binding);
      }
      case 'Binary': {
        const p = PRECEDENCE[e.op]!;
        return this.parenthesized([this.expr(e.left, p), ' ', this.atom(e.op, e.opSpan.start), ' ', this.expr(e.right, p + 1)], parent > p);
      }
    }
  }

  private parenthesized(doc: Doc, needed: boolean): Doc {
    return needed ? ['(', doc, ')'] : doc;
  }

  private source(span: { start: number; end: number }): string {
    return this.text.slice(span.start, span.end);
  }

  /** A token, after the comments before it that no item claimed (inside an expression: `a == /* why *\/ b`). */
  private atom(text: string, start: number): Doc {
    const before = this.takeBefore(start);
    if (before.length === 0) return text;
    return [...before.map((c) => (c.toLineEnd ? [c.text, hardline] : [c.text, ' '])), text];
  }

  private takeBefore(offset: number): Comment[] {
    const taken: Comment[] = [];
    while (this.next < this.comments.length && this.comments[this.next]!.start < offset) taken.push(this.comments[this.next++]!);
    return taken;
  }

  /** Comments after `end` on the same line, before `limit`. */
  private takeTrailing(end: number, limit: number): Comment[] {
    const taken: Comment[] = [];
    let from = end;
    while (this.next < this.comments.length) {
      const c = this.comments[this.next]!;
      if (c.start >= limit || this.text.slice(from, c.start).includes('\n')) break;
      taken.push(c);
      this.next++;
      from = c.end;
    }
    return taken;
  }

  /** Whether a blank line is right before `offset` (only whitespace between it and the line before). */
  private blankBefore(offset: number): boolean {
    let newlines = 0;
    for (let i = offset - 1; i >= 0; i--) {
      const ch = this.text[i];
      if (ch === '\n') newlines++;
      else if (ch !== ' ' && ch !== '\t' && ch !== '\r') break;
    }
    return newlines >= 2;
  }

  /**
   * Items between brackets. `span` covers the brackets (`{` at its start, `}` just before its end). Any comment among
   * the items puts them one per line, so that each comment keeps its place.
   */
  private sequence(items: Item[], span: { start: number; end: number }, style: Style | 'lines', plain: boolean, open = '{', close = '}'): Doc {
    const close_ = span.end - 1;
    const hasComment = this.next < this.comments.length && this.comments[this.next]!.start < close_;
    if (style === 'lines' || hasComment) {
      if (items.length === 0 && !hasComment) return [open, close];
      const separator = style === 'lines' ? '' : ',';
      return [open, indent([hardline, this.onePerLine(items, close_, separator)]), hardline, close];
    }
    if (items.length === 0) return [open, close];
    const docs = items.map((item) => item.doc());
    const pad = open === '{' ? line : softline;
    if (style === 'arguments') return group([open, align(fill(docs.map((d, i) => (i < docs.length - 1 ? [d, ','] : d)), line)), close]);
    const body = plain ? fill(docs.map((d, i) => (i < docs.length - 1 ? [d, ','] : d)), line) : join(docs, [',', line]);
    return group([open, indent([pad, body, ifBreak(',')]), pad, close]);
  }

  /** Items one per line, each with its comments; `limit` is where the enclosing block closes. */
  private onePerLine(items: Item[], limit: number, separator: string): Doc {
    const lines: Doc[] = [];
    const commentLine = (c: Comment, first: boolean): void => {
      if (!first && this.blankBefore(c.start)) lines.push('');
      lines.push(c.text);
    };
    items.forEach((item, i) => {
      const leading = this.takeBefore(item.start);
      leading.forEach((c, j) => commentLine(c, i === 0 && j === 0));
      if (!(i === 0 && leading.length === 0) && this.blankBefore(item.start)) lines.push('');
      const doc = item.doc();
      const trailing = this.takeTrailing(item.end, items[i + 1]?.start ?? limit);
      lines.push([doc, separator, ...trailing.map((c) => ' ' + c.text)]);
    });
    this.takeBefore(limit).forEach((c, j) => commentLine(c, items.length === 0 && j === 0));
    return join(lines, hardline);
  }
}

function join(docs: Doc[], separator: Doc): Doc {
  return docs.flatMap((d, i) => (i ? [separator, d] : [d]));
}

/** A value printed on one line whatever the width: a literal, a name, an operator applied to such values. */
function isPlain(e: A.Expr): boolean {
  switch (e.type) {
    case 'Number': case 'String': case 'Bool': case 'Null': case 'Name': case 'Member': return true;
    case 'Unary': return isPlain(e.operand);
    case 'Binary': return isPlain(e.left) && isPlain(e.right);
    default: return false;
  }
}

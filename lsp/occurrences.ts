/**
 * Where each name of a checked program is written, and what it names: declarations, references to them (resolved
 * through the checker's scope, so `lib.trunk` from an aliased import finds its file), constructors, fields, named
 * arguments, columns and imports. Hover, definition and rename read this index. It reads the AST against the stdlib
 * types the way elaboration does, because elaborated values keep no positions of names (a call's span covers its
 * arguments, a named argument keeps none of its name).
 */
import { qualifiedName, type Declaration, type DeclarationKind, type Expr, type Program } from '../compiler/syntax/ast.js';
import type { Span } from '../compiler/diagnostics/diagnostic.js';
import type { CheckedProgram } from '../compiler/check/model.js';
import { taskDataset } from '../compiler/check/model.js';
import type { Symbol } from '../compiler/check/scope.js';
import { importTarget } from '../compiler/syntax/load.js';
import { declarationFields, findConstructor, type Constructor, type Param } from '../stdlib/index.js';
import type { Category, RefKind, Type } from '../stdlib/types.js';

export type Occurrence =
  | { kind: 'declaration'; span: Span; symbol: Symbol }
  /** `span` is what was written (`lib.trunk`), `nameSpan` its last name (what a rename replaces). */
  | { kind: 'reference'; span: Span; nameSpan: Span; to: RefKind; written: string; symbol: Symbol | null }
  | { kind: 'constructor'; span: Span; ctor: Constructor }
  | { kind: 'field'; span: Span; param: Param; declKind: DeclarationKind }
  | { kind: 'argument'; span: Span; param: Param; ctor: Constructor }
  | { kind: 'column'; span: Span; name: string; dataset: string | null; declared: boolean }
  | { kind: 'keyword'; span: Span; declKind: DeclarationKind }
  | { kind: 'import'; span: Span; target: string };

/** The type a declaration of an assigned kind (`backbone x = …`, `share x = …`) is read as, as elaboration reads it. */
export const assignedType: Partial<Record<DeclarationKind, Type>> = {
  backbone: { t: 'union', of: [{ t: 'ref', to: 'backbone' }, { t: 'ctor', category: 'backbone' }] },
  share: { t: 'ctor', category: 'sharing' },
};

/** Every occurrence in every file of a program, by file, in source order. */
export function indexProgram(files: readonly Program[], program: CheckedProgram): Map<string, Occurrence[]> {
  const indexer = new Indexer(program);
  for (const file of files) {
    for (const imp of file.imports) {
      if (imp.path) indexer.add({ kind: 'import', span: imp.pathSpan, target: importTarget(file.file, imp.path) });
    }
  }
  const symbols = [...program.scope.symbols, ...program.scope.duplicates.map((d) => d.again)];
  for (const symbol of symbols) indexer.declaration(symbol.decl, symbol);
  for (const decl of program.scope.unnamed) indexer.declaration(decl, null);
  return indexer.byFile;
}

/** The innermost occurrence at an offset (a cursor just after a name is on it). */
export function occurrenceAt(occurrences: readonly Occurrence[] | undefined, offset: number): Occurrence | null {
  let found: Occurrence | null = null;
  for (const o of occurrences ?? []) {
    if (o.span.start <= offset && offset <= o.span.end && (!found || o.span.end - o.span.start < found.span.end - found.span.start)) found = o;
  }
  return found;
}

/** The symbol an occurrence declares or refers to, if any. */
export function symbolOf(occurrence: Occurrence | null): Symbol | null {
  if (occurrence?.kind === 'declaration') return occurrence.symbol;
  if (occurrence?.kind === 'reference') return occurrence.symbol;
  return null;
}

/** Whether two symbols (of the same analysis or of two) are one declaration: same file, same place. */
export function sameDeclaration(a: Symbol, b: Symbol): boolean {
  return a.kind === b.kind && a.decl.span.file === b.decl.span.file && a.decl.span.start === b.decl.span.start;
}

class Indexer {
  readonly byFile = new Map<string, Occurrence[]>();
  /** The alias prefix of the declaration being read (names resolve in its namespace first), and the dataset its columns come from. */
  private prefix = '';
  private dataset: string | null = null;

  constructor(private readonly program: CheckedProgram) {}

  add(occurrence: Occurrence): void {
    const list = this.byFile.get(occurrence.span.file) ?? [];
    list.push(occurrence);
    this.byFile.set(occurrence.span.file, list);
  }

  declaration(decl: Declaration, symbol: Symbol | null): void {
    this.prefix = symbol?.prefix ?? '';
    this.dataset = symbol ? this.datasetOf(symbol) : null;
    this.add({ kind: 'keyword', span: decl.kindSpan, declKind: decl.kind });
    if (symbol && decl.name) this.add({ kind: 'declaration', span: decl.name.span, symbol });
    const assigned = assignedType[decl.kind];
    if (decl.body.type !== 'Record' || decl.form === 'assign') {
      if (assigned) this.value(decl.body, assigned);
      return;
    }
    for (const field of decl.body.fields) {
      const param = declarationFields[decl.kind].find((p) => p.name === field.name.text);
      if (!param) continue;
      this.add({ kind: 'field', span: field.name.span, param, declKind: decl.kind });
      if (decl.kind === 'dataset' && param.name === 'columns' && field.value.type === 'Record') {
        for (const column of field.value.fields) this.add({ kind: 'column', span: column.name.span, name: column.name.text, dataset: symbol?.name ?? null, declared: true });
      }
      this.value(field.value, param.type);
    }
  }

  /** The dataset whose columns a declaration's column names are: a task's through its features, a feature set's own. */
  private datasetOf(symbol: Symbol): string | null {
    if (symbol.kind === 'features') return this.program.features.get(symbol.name)?.dataset ?? null;
    const task = symbol.kind === 'task' ? this.program.tasks.get(symbol.name) : undefined;
    return task ? (taskDataset(this.program, task)?.name ?? null) : null;
  }

  private value(expr: Expr, type: Type): void {
    if (expr.type === 'Error') return;
    switch (type.t) {
      case 'optional': return this.value(expr, type.of);
      case 'list':
        if (expr.type === 'List') for (const item of expr.items) this.value(item, type.of);
        return;
      case 'record':
        if (expr.type !== 'Record') return;
        for (const field of expr.fields) {
          if (type.keys === 'task') this.reference(field.name.span, field.name.span, field.name.text, 'task');
          if (type.keys === 'column') this.add({ kind: 'column', span: field.name.span, name: field.name.text, dataset: this.dataset, declared: false });
          this.value(field.value, type.of);
        }
        return;
      case 'ref': {
        const written = qualifiedName(expr);
        if (written !== null) this.reference(expr.span, expr.type === 'Member' ? expr.property.span : expr.span, written, type.to);
        return;
      }
      case 'column':
        if (expr.type === 'Name') this.column(expr.span, expr.name);
        return;
      case 'expr': return this.columnsIn(expr);
      case 'ctor': return this.call(expr, type.category);
      case 'union': {
        const alternative = type.of.find((alt) => this.fits(expr, alt))
          ?? type.of.find((alt) => (alt.t === 'ctor' && expr.type === 'Call') || (alt.t === 'ref' && (expr.type === 'Name' || expr.type === 'Member')));
        if (alternative) this.value(expr, alternative);
        return;
      }
      case 'number': case 'int': case 'string': case 'bool': case 'enum':
        return;
    }
  }

  /** Whether an expression reads as this alternative of a union (elaboration's order of preference). */
  private fits(expr: Expr, alt: Type): boolean {
    switch (alt.t) {
      case 'number': case 'int': return expr.type === 'Number';
      case 'string': return expr.type === 'String';
      case 'list': return expr.type === 'List';
      case 'record': return expr.type === 'Record';
      case 'enum': return expr.type === 'Name' && alt.values.includes(expr.name);
      case 'ref': {
        const name = qualifiedName(expr);
        return name !== null && !!this.program.scope.resolve(alt.to, name, this.prefix);
      }
      case 'ctor': {
        const callee = expr.type === 'Call' ? expr.callee : expr;
        return callee.type === 'Name' && !!findConstructor(alt.category, callee.name);
      }
      default: return false;
    }
  }

  private reference(span: Span, nameSpan: Span, written: string, to: RefKind): void {
    this.add({ kind: 'reference', span, nameSpan, to, written, symbol: this.program.scope.resolve(to, written, this.prefix) ?? null });
  }

  private column(span: Span, name: string): void {
    this.add({ kind: 'column', span, name, dataset: this.dataset, declared: false });
  }

  /** A target expression: its names are columns. */
  private columnsIn(expr: Expr): void {
    switch (expr.type) {
      case 'Name': return this.column(expr.span, expr.name);
      case 'Binary': this.columnsIn(expr.left); return this.columnsIn(expr.right);
      case 'Unary': return this.columnsIn(expr.operand);
      case 'List': for (const item of expr.items) this.columnsIn(item); return;
      default: return;
    }
  }

  /** A constructor call (or a bare constructor name): the callee, then each argument as its parameter's type. */
  private call(expr: Expr, category: Category): void {
    const callee = expr.type === 'Call' ? expr.callee : expr;
    if (callee.type !== 'Name') return;
    const ctor = findConstructor(category, callee.name);
    if (!ctor) return;
    this.add({ kind: 'constructor', span: callee.span, ctor });
    if (expr.type !== 'Call') return;
    let position = 0;
    for (const arg of expr.args) {
      if (arg.name) {
        const param = ctor.params.find((p) => p.name === arg.name!.text);
        if (!param) continue;
        this.add({ kind: 'argument', span: arg.name.span, param, ctor });
        this.value(arg.value, param.type);
        continue;
      }
      // With a rest parameter (a transform's columns) every positional argument goes there, as in elaboration.
      const type = ctor.rest ? ctor.rest.type : ctor.params[position++]?.type;
      if (type) this.value(arg.value, type);
    }
  }
}

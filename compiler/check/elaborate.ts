/**
 * Reads every declaration against the stdlib catalog: resolves names, matches arguments to parameters,
 * checks types, and fills in defaults. Reports unknown names (with "did you mean"), unknown, duplicate
 * and missing arguments, and type mismatches. What remains is a tree of typed `Value`s the rules inspect.
 */
import type * as A from '../syntax/ast.js';
import { qualifiedName } from '../syntax/ast.js';
import { parseText } from '../syntax/parse.js';
import type { Span } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';
import { type Type, type Category, describeType } from '../../stdlib/types.js';
import { type Param, type Signature, constructorsOf, findConstructor, declarationFields, assignedCategory } from '../../stdlib/index.js';
import { walkValue } from './walk.js';
import type { DiagnosticsContext } from './context.js';
import type { Scope, Symbol } from './scope.js';
import type { Value } from './values.js';

export function elaborate(scope: Scope, ctx: DiagnosticsContext): void {
  const elaborator = new Elaborator(scope, ctx);
  for (const decl of scope.unnamed) {
    ctx.report({ code: Codes.MissingName, message: `a ${decl.kind} needs a name`, span: decl.kindSpan, label: 'no name', help: `name it: \`${decl.kind} NAME ${decl.form === 'block' ? '{ ... }' : '= ...'}\`` });
  }
  for (const symbol of scope.symbols) elaborator.declaration(symbol);
  for (const { again } of scope.duplicates) elaborator.declaration(again);
}

class Elaborator {
  /** The alias prefix of the file being read: its names resolve in its own namespace first. */
  private prefix = '';

  constructor(private readonly scope: Scope, private readonly ctx: DiagnosticsContext) {}

  declaration(symbol: Symbol): void {
    const { decl } = symbol;
    this.prefix = symbol.prefix;
    const category = assignedCategory[decl.kind];
    if (category) {
      if (decl.form === 'block') {
        this.ctx.report({
          code: Codes.WrongDeclarationForm, message: `a ${decl.kind} is written \`${decl.kind} name = constructor(...)\``, span: decl.kindSpan,
          label: `this ${decl.kind} has a block`, help: decl.kind === 'backbone' ? 'for example: `backbone trunk = mlp(units: [128, 64])`' : 'for example: `share trunk = hard(backbone: mlp(units: [64]), tasks: [a, b])`',
        });
        symbol.fields = { value: { v: 'error', span: decl.span } };
        return;
      }
      const type: Type = decl.kind === 'backbone' ? { t: 'union', of: [{ t: 'ref', to: 'backbone' }, { t: 'ctor', category }] } : { t: 'ctor', category };
      symbol.fields = { value: this.value(decl.body as A.Expr, type) };
      return;
    }
    if (decl.form === 'assign' || decl.body.type !== 'Record') {
      this.ctx.report({ code: Codes.WrongDeclarationForm, message: `a ${decl.kind} is written with a block: \`${decl.kind} name { field: value ... }\``, span: decl.kindSpan, label: 'written with `=`' });
      symbol.fields = {};
      return;
    }
    const named = decl.body.fields.map((f): A.Argument => ({ name: f.name, value: f.value, span: f.span }));
    symbol.fields = this.bindArguments(named, declarationFields[decl.kind], undefined, decl.name?.span ?? decl.kindSpan, `${decl.kind} \`${symbol.name || decl.kind}\``, 'field').args;
  }

  /** Matches arguments to parameters (positional first, then named), fills defaults, reports what does not fit. */
  private bindArguments(args: A.Argument[], params: Param[], rest: Signature['rest'], at: Span, owner: string, noun: 'argument' | 'field'): { args: Record<string, Value>; rest: Value[] } {
    const bound: Record<string, Value> = {};
    /** Where each bound argument was given: its name, or its value when given by position. */
    const givenAt: Record<string, Span> = {};
    const restValues: Value[] = [];
    let position = 0;
    let sawNamed = false;
    for (const arg of args) {
      if (!arg.name) {
        if (sawNamed) {
          this.ctx.report({ code: Codes.PositionalAfterNamed, message: 'a positional argument follows a named one', span: arg.value.span, label: 'positional', help: 'put positional arguments first, or name this one' });
          // A transform's columns are all positional: keep the column, so its absence reports nothing more.
          if (rest) restValues.push(this.value(arg.value, rest.type));
          continue;
        }
        // With a rest parameter (a transform's columns), positional arguments all go there; options are named.
        const param = rest ? undefined : params[position];
        if (param) {
          bound[param.name] = this.value(arg.value, param.type);
          givenAt[param.name] = arg.value.span;
          position++;
        } else if (rest) {
          restValues.push(this.value(arg.value, rest.type));
        } else {
          this.ctx.report({
            code: Codes.TooManyArguments, message: `${owner} takes ${params.length === 0 ? 'no' : `at most ${params.length}`} positional argument${params.length === 1 ? '' : 's'}`, span: arg.value.span,
            label: 'one too many', help: params.length ? `its parameters are ${params.map((p) => `\`${p.name}\``).join(', ')}` : null,
          });
        }
        continue;
      }
      sawNamed = true;
      const name = arg.name.text;
      const param = params.find((p) => p.name === name);
      if (!param) {
        this.ctx.report({
          code: Codes.UnknownArgument, message: `${owner} has no ${noun} \`${name}\``, span: arg.name.span, label: `unknown ${noun}`,
          help: this.ctx.lazy(() => this.ctx.didYouMean(name, params.map((p) => p.name))
            ?? (params.length ? `its ${noun}s are ${params.map((p) => `\`${p.name}\``).join(', ')}` : `it takes no ${noun}s`)),
        });
        continue;
      }
      if (bound[name]) {
        this.ctx.report({ code: Codes.DuplicateArgument, message: `${noun} \`${name}\` is given twice`, span: arg.name.span, label: 'given again here', secondary: [{ span: givenAt[name]!, message: 'first given here' }] });
        continue;
      }
      bound[name] = this.value(arg.value, param.type);
      givenAt[name] = arg.name.span;
    }
    for (const param of params) {
      if (bound[param.name]) continue;
      if (param.default !== undefined) bound[param.name] = this.defaultValue(param, at);
      else if (param.type.t === 'optional') bound[param.name] = { v: 'absent', span: at, implicit: true };
      else {
        this.ctx.report({ code: Codes.MissingArgument, message: `${owner} needs ${noun === 'field' ? 'a field' : 'an argument'} \`${param.name}\``, span: at, label: `no \`${param.name}\``, help: `add \`${param.name}: …\` (${describeType(param.type)}: ${param.doc})` });
        bound[param.name] = { v: 'error', span: at };
      }
    }
    return { args: bound, rest: restValues };
  }

  private defaultValue(param: Param, at: Span): Value {
    const relocated = relocate(parsedDefault(param), at);
    return markImplicit(this.value(relocated, param.type));
  }

  value(expr: A.Expr, type: Type): Value {
    if (expr.type === 'Error') return { v: 'error', span: expr.span };
    switch (type.t) {
      case 'optional':
        return expr.type === 'Null' ? { v: 'absent', span: expr.span } : this.value(expr, type.of);
      case 'number':
      case 'int':
        if (expr.type === 'Number') {
          if (type.t === 'int' && !Number.isInteger(expr.value)) return this.mismatch(expr, type, `\`${expr.raw}\` is not an integer`);
          return { v: 'number', n: expr.value, span: expr.span };
        }
        return this.mismatch(expr, type);
      case 'string':
        return expr.type === 'String' ? { v: 'string', s: expr.value, span: expr.span } : this.mismatch(expr, type);
      case 'bool':
        return expr.type === 'Bool' ? { v: 'bool', b: expr.value, span: expr.span } : this.mismatch(expr, type);
      case 'list':
        if (expr.type !== 'List') return this.mismatch(expr, type);
        return { v: 'list', items: expr.items.map((item) => this.value(item, type.of)), span: expr.span };
      case 'record':
        if (expr.type !== 'Record') return this.mismatch(expr, type);
        return { v: 'record', entries: expr.fields.map((f) => ({ key: f.name.text, keySpan: f.name.span, value: this.value(f.value, type.of) })), span: expr.span };
      case 'column':
        if (expr.type === 'Name') return { v: 'column', name: expr.name, span: expr.span };
        if (expr.type === 'String') return { v: 'column', name: expr.value, span: expr.span };
        return this.mismatch(expr, type);
      case 'expr':
        return { v: 'expr', expr, span: expr.span };
      case 'enum':
        if (expr.type === 'Name' && type.values.includes(expr.name)) return { v: 'enum', name: expr.name, span: expr.span };
        if (expr.type === 'Name') {
          return this.unknown(expr.span, expr.name, `\`${expr.name}\` is not ${describeType(type)}`, () => [...type.values], `use one of ${type.values.map((v) => `\`${v}\``).join(', ')}`);
        }
        return this.mismatch(expr, type);
      case 'ref':
        return this.reference(expr, type);
      case 'ctor':
        return this.call(expr, type.category);
      case 'union':
        return this.union(expr, type);
    }
  }

  private reference(expr: A.Expr, type: Extract<Type, { t: 'ref' }>): Value {
    const name = qualifiedName(expr);
    if (name === null) return this.mismatch(expr, type);
    const found = this.scope.resolve(type.to, name, this.prefix);
    if (found) return { v: 'ref', to: type.to, name: found.name, span: expr.span };
    const help = this.ctx.lazy(() => {
      const elsewhere = this.scope.kindsOf(name);
      if (elsewhere.length) return `\`${name}\` is a ${elsewhere[0]}, not a ${type.to}`;
      // Names of a file imported `as lib` are written `lib.name`: point there before guessing by spelling.
      const names = this.scope.names(type.to);
      const qualified = names.find((n) => n.endsWith(`.${name}`));
      if (qualified) return `did you mean \`${qualified}\`? names imported with \`as\` carry its prefix`;
      return this.ctx.didYouMean(name, names) ?? (names.length ? null : `declare it: \`${type.to} ${name} ...\``);
    });
    this.ctx.report({ code: Codes.UnknownName, message: `unknown ${type.to} \`${name}\``, span: expr.span, label: 'not declared', help });
    return { v: 'error', span: expr.span };
  }

  private call(expr: A.Expr, category: Category): Value {
    const callee = expr.type === 'Call' ? expr.callee : expr;
    const name = callee.type === 'Name' ? callee.name : null;
    if (name === null) return this.mismatch(expr, { t: 'ctor', category });
    const ctor = findConstructor(category, name);
    if (!ctor) {
      const noun = category.replace('_', ' ');
      return this.unknown(callee.span, name, `unknown ${noun} \`${name}\``, () => constructorsOf(category).map((c) => c.name), `\`mtl stdlib\` lists every ${noun}`);
    }
    const args = expr.type === 'Call' ? expr.args : [];
    const bound = this.bindArguments(args, ctor.params, ctor.rest, expr.span, `\`${ctor.name}\``, 'argument');
    if (category === 'transform' && bound.rest.length === 0) {
      this.ctx.report({
        code: Codes.TransformWithoutColumns, message: `\`${ctor.name}\` needs at least one column`, span: expr.span, label: 'no columns',
        help: `name the columns it encodes: \`${ctor.name}(${ctor.category === 'transform' && ctor.accepts.includes('float') ? 'age, income' : 'city'})\``,
      });
    }
    return { v: 'call', ctor, args: bound.args, rest: bound.rest, span: expr.span };
  }

  /** Tries the alternatives in order of what the expression looks like, so errors speak of the likely one. */
  private union(expr: A.Expr, type: Extract<Type, { t: 'union' }>): Value {
    const fits = (alt: Type): boolean => {
      switch (alt.t) {
        case 'number': case 'int': return expr.type === 'Number';
        case 'string': return expr.type === 'String';
        case 'list': return expr.type === 'List';
        case 'record': return expr.type === 'Record';
        case 'ref': { const n = qualifiedName(expr); return n !== null && !!this.scope.resolve(alt.to, n, this.prefix); }
        case 'enum': return expr.type === 'Name' && alt.values.includes(expr.name);
        case 'ctor': return (expr.type === 'Call' || expr.type === 'Name') && !!findConstructor(alt.category, expr.type === 'Call' ? (expr.callee.type === 'Name' ? expr.callee.name : '') : expr.name);
        default: return false;
      }
    };
    const match = type.of.find(fits);
    if (match) return this.value(expr, match);
    // Nothing fits: report against the alternative the expression resembles most.
    const refs = type.of.flatMap((t) => (t.t === 'ref' ? [t.to] : []));
    const ctorAlt = type.of.find((t) => t.t === 'ctor');
    if (expr.type === 'Call' && ctorAlt) return this.value(expr, ctorAlt);
    if ((expr.type === 'Name' || expr.type === 'Member') && (refs.length || ctorAlt)) {
      const name = qualifiedName(expr)!;
      const candidates = () => [
        ...refs.flatMap((kind) => this.scope.names(kind)),
        ...(ctorAlt && ctorAlt.t === 'ctor' ? constructorsOf(ctorAlt.category).map((c) => c.name) : []),
        ...type.of.flatMap((t) => (t.t === 'enum' ? [...t.values] : [])),
      ];
      const what = refs.length ? refs.join(' or ') : ctorAlt && ctorAlt.t === 'ctor' ? ctorAlt.category : 'name';
      // A name of another kind (`backbone: person` where `person` is a feature set) says so, as `reference` does.
      const elsewhere = this.scope.kindsOf(name);
      if (elsewhere.length) {
        this.ctx.report({ code: Codes.UnknownName, message: `unknown ${what} \`${name}\``, span: expr.span, label: 'not declared', help: `\`${name}\` is a ${elsewhere[0]}, not a ${what}` });
        return { v: 'error', span: expr.span };
      }
      return this.unknown(expr.span, name, `unknown ${what} \`${name}\``, candidates);
    }
    return this.mismatch(expr, type);
  }

  private unknown(span: Span, name: string, message: string, candidates: () => string[], fallbackHelp: string | null = null): Value {
    this.ctx.report({ code: Codes.UnknownName, message, span, label: 'not known here', help: this.ctx.lazy(() => this.ctx.didYouMean(name, candidates()) ?? fallbackHelp) });
    return { v: 'error', span };
  }

  private mismatch(expr: A.Expr, type: Type, detail?: string): Value {
    this.ctx.report({ code: Codes.WrongType, message: `expected ${describeType(type)}, found ${describeExpr(expr)}`, span: expr.span, label: detail ?? `this is ${describeExpr(expr)}` });
    return { v: 'error', span: expr.span };
  }
}

export function describeExpr(expr: A.Expr): string {
  switch (expr.type) {
    case 'Number': return Number.isInteger(expr.value) ? 'an integer' : 'a number';
    case 'String': return 'a string';
    case 'Bool': return expr.value ? '`true`' : '`false`';
    case 'Null': return '`null`';
    case 'Name': return `the name \`${expr.name}\``;
    case 'Member': return `the name \`${qualifiedName(expr) ?? '…'}\``;
    case 'Call': return `a call of \`${qualifiedName(expr.callee) ?? '…'}\``;
    case 'List': return 'a list';
    case 'Record': return 'a record';
    case 'Binary': return 'an expression';
    case 'Unary': return 'an expression';
    case 'Error': return 'an error';
  }
}

const defaultCache = new Map<Param, A.Expr>();

/** A stdlib default's source, parsed once. A default that does not parse is a bug in the catalog, not a user error. */
function parsedDefault(param: Param): A.Expr {
  let expr = defaultCache.get(param);
  if (!expr) {
    const parsed = parseText(`backbone _ = ${param.default}`, '<stdlib>');
    const decl = parsed.value.declarations[0];
    if (!decl || parsed.diagnostics.length) throw new Error(`bad stdlib default for ${param.name}: ${param.default}`);
    expr = decl.body as A.Expr;
    defaultCache.set(param, expr);
  }
  return expr;
}

/** Moves a default's parsed expression onto the span of the place it fills (so diagnostics point there). */
function relocate<T>(node: T, at: Span): T {
  if (Array.isArray(node)) return node.map((n) => relocate(n, at)) as T;
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'span' || k === 'opSpan' ? at : relocate(v, at);
    return out as T;
  }
  return node;
}

/** Marks a default and everything in it as filled in (rules never report what the user did not write). */
function markImplicit(value: Value): Value {
  walkValue(value, (v) => {
    v.implicit = true;
  });
  return value;
}

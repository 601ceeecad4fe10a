/**
 * The symbol table: every declaration of the program and its imports, by kind and qualified name.
 * Names from `import "x.mtl" as lib` are reached as `lib.name`; plain imports merge into the importer's names.
 */
import type { Declaration, DeclarationKind, Program } from '../syntax/ast.js';
import type { Value } from './values.js';
import { importTarget, type LoadedProgram } from '../syntax/load.js';

export interface Symbol {
  kind: DeclarationKind;
  /** Qualified name (`lib.trunk` for an aliased import); `train` declarations may be unnamed (''). */
  name: string;
  decl: Declaration;
  /** The alias prefix its file was imported under (`lib.`), '' for the entry file and plain imports. */
  prefix: string;
  /** Set by elaboration: block fields by name, or `{ value }` for `kind name = expression`. */
  fields: Record<string, Value>;
}

export class Scope {
  readonly symbols: Symbol[] = [];
  private readonly byKey = new Map<string, Symbol>();
  // Indexes of `symbols`: an unknown name looks up the kinds it is declared under, and its kind's names; a scan of
  // every symbol per lookup made checking thousands of unknown names quadratic.
  private readonly byKind = new Map<DeclarationKind, Symbol[]>();
  private readonly kindsByName = new Map<string, DeclarationKind[]>();
  /** Same-kind, same-name declarations after the first: reported by the duplicates rule. */
  readonly duplicates: { first: Symbol; again: Symbol }[] = [];
  /** Declarations without a name (only `train` may have none): reported by elaboration, not in scope. */
  readonly unnamed: Declaration[] = [];

  add(symbol: Symbol): void {
    const key = `${symbol.kind}:${symbol.name}`;
    const first = this.byKey.get(key);
    if (first) {
      if (first.decl !== symbol.decl) this.duplicates.push({ first, again: symbol });
      return;
    }
    this.byKey.set(key, symbol);
    this.symbols.push(symbol);
    const ofKind = this.byKind.get(symbol.kind);
    if (ofKind) ofKind.push(symbol);
    else this.byKind.set(symbol.kind, [symbol]);
    const kinds = this.kindsByName.get(symbol.name);
    if (kinds) kinds.push(symbol.kind);
    else this.kindsByName.set(symbol.name, [symbol.kind]);
  }

  get(kind: DeclarationKind, name: string): Symbol | undefined {
    return this.byKey.get(`${kind}:${name}`);
  }

  /** Resolves a name written inside a file imported under `prefix`: its own namespace first, then the global one. */
  resolve(kind: DeclarationKind, name: string, prefix: string): Symbol | undefined {
    return (prefix ? this.get(kind, prefix + name) : undefined) ?? this.get(kind, name);
  }

  /** Every declared name of one kind (for "did you mean"). */
  names(kind: DeclarationKind): string[] {
    return this.ofKind(kind).map((s) => s.name);
  }

  /** Kinds under which `name` is declared (to say "`trunk` is a share, not a backbone"). */
  kindsOf(name: string): DeclarationKind[] {
    return [...(this.kindsByName.get(name) ?? [])];
  }

  ofKind(kind: DeclarationKind): Symbol[] {
    return [...(this.byKind.get(kind) ?? [])];
  }
}

/** Builds the scope of the entry file: its declarations, plus its imports' (prefixed when aliased). */
export function buildScope(loaded: LoadedProgram): Scope {
  const byFile = new Map(loaded.files.map((f) => [f.file, f]));
  const scope = new Scope();
  const seen = new Set<string>();
  const addFile = (program: Program, prefix: string) => {
    const key = `${prefix}|${program.file}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const imp of program.imports) {
      const target = byFile.get(importTarget(program.file, imp.path));
      if (target) addFile(target, imp.alias ? `${prefix}${imp.alias.text}.` : prefix);
    }
    for (const decl of program.declarations) {
      if (!decl.name && decl.kind !== 'train') {
        scope.unnamed.push(decl);
        continue;
      }
      scope.add({ kind: decl.kind, name: prefix + (decl.name?.text ?? ''), decl, prefix, fields: {} });
    }
  };
  const entry = byFile.get(loaded.entry);
  if (entry) addFile(entry, '');
  return scope;
}

/**
 * Checking: scope → elaboration against the stdlib → the checked model → every rule. All errors of a program
 * at once (capped); never throws on user error.
 */
import { buildScope, type Symbol } from './scope.js';
import { elaborate } from './elaborate.js';
import { trainedTasks } from './trained-tasks.js';
import { buildModel, type CheckedProgram } from './model.js';
import { DiagnosticsContext, DEFAULT_MAX_ERRORS } from './context.js';
import { rules } from './rules/index.js';
import type { CheckOptions } from './rule.js';
export type { CheckOptions } from './rule.js';
import type { LoadedProgram, Host } from '../syntax/load.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { sortDiagnostics, hasErrors } from '../diagnostics/diagnostic.js';
import { parseText } from '../syntax/parse.js';
import { Scope } from './scope.js';


export function checkLoaded(loaded: LoadedProgram, host: Host, parseDiagnostics: readonly Diagnostic[], options: CheckOptions = {}): { value: CheckedProgram; diagnostics: Diagnostic[] } {
  const ctx = new DiagnosticsContext(options.maxErrors ?? DEFAULT_MAX_ERRORS);
  ctx.add(parseDiagnostics);
  ctx.quietInside(loaded.files.flatMap((f) => {
    const recovered = f.declarations.filter((d) => d.recovered).map((d) => d.span);
    // Nodes the parser invented while recovering have no position and sit at the end of the file.
    return recovered.length ? [...recovered, { file: f.file, start: f.span.end, end: f.span.end }] : [];
  }));
  const scope = buildScope(loaded);
  elaborate(scope, ctx);
  const entryImports = loaded.files.find((f) => f.file === loaded.entry)?.imports ?? [];
  const program = buildModel(scope, {
    entry: loaded.entry, host, defaultTrain: defaultTrainFields(loaded.entry, ctx), imports: entryImports,
    trained: trainedTasks(scope, loaded.entry), root: options.root ?? null,
  });
  // Rules read what elaboration produced; after syntax errors they still run, over what could be read. Without the
  // entry file there is nothing to read: "cannot read" is the whole story (not also "the program declares no task").
  const entryRead = loaded.sources.has(loaded.entry);
  const syntaxErrors = hasErrors(parseDiagnostics);
  for (const rule of entryRead ? rules : []) {
    if (options.only && !options.only.includes(rule.name)) continue;
    if (syntaxErrors && rule.afterSyntaxErrors === false) continue;
    rule.run(program, ctx, options);
  }
  return { value: program, diagnostics: sortDiagnostics(ctx.diagnostics) };
}

/** A program without a `train` block trains with every default: elaborate an empty one. */
function defaultTrainFields(entry: string, ctx: DiagnosticsContext): Record<string, import('./values.js').Value> {
  const parsed = parseText('train {}', entry);
  const decl = parsed.value.declarations[0]!;
  const pinned = { ...decl, span: { file: entry, start: 0, end: 0 }, kindSpan: { file: entry, start: 0, end: 0 } };
  const scope = new Scope();
  const symbol: Symbol = { kind: 'train', name: '', decl: pinned, prefix: '', fields: {} };
  scope.add(symbol);
  elaborate(scope, ctx);
  for (const value of Object.values(symbol.fields)) (value as { implicit?: boolean }).implicit = true;
  return symbol.fields;
}

export { hasErrors };

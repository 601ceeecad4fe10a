/**
 * The library API: `parse`, `check`, `compile` and `format`, each returning `{ value, diagnostics, ok, sources }` and
 * never throwing on a user's mistake. All three take the same input: a path, or `{ file, text?, host? }` for text that
 * is not (or not yet) on disk. Print a result's diagnostics with `render(result)`, or `renderJson`.
 */
import { parseText } from './syntax/parse.js';
import { compileProgram, type SourceInput, type CompileOptions } from './compile.js';
import type { Program } from './syntax/ast.js';
import type { CheckedProgram } from './check/model.js';
import type { Job } from '../job/job.js';
import { hasErrors, internalError, type Diagnostic, type Result } from './diagnostics/diagnostic.js';
import { deriveFromCompilation, type DerivedJob } from './derive/derive.js';
import type { VariantSpec } from './derive/variants.js';
import { nodeHost, readEntry } from './syntax/load.js';
import { confine } from './syntax/root.js';
import { SourceFile, type Sources } from './diagnostics/source.js';
import { renderFrames, type FrameOptions } from './diagnostics/render-frame.js';

/** What `parse`, `check` and `compile` take: a program's path (a string is always a path), or its text under a name. */
export type ProgramInput = SourceInput | string;

/** A result of the library API: `ok` is false when there is an error (or an internal one); `sources` are the files read. */
export interface ApiResult<T> extends Result<T> {
  ok: boolean;
  sources: Sources;
}

function sourceInput(input: ProgramInput): SourceInput {
  return typeof input === 'string' ? { file: input } : input;
}

function apiResult<T>(value: T, diagnostics: Diagnostic[], sources: Sources, error?: Result<T>['internalError']): ApiResult<T> {
  return { value, diagnostics, ok: !error && !hasErrors(diagnostics), sources, ...(error ? { internalError: error } : {}) };
}

/**
 * The syntax tree of one file (its imports are not followed); null when it cannot be read, is not program text, or
 * (with `root`) lies outside the root.
 */
export function parse(input: ProgramInput, options: Pick<CompileOptions, 'root'> = {}): ApiResult<Program | null> {
  const { file, text, host } = sourceInput(input);
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceFile>();
  try {
    const confined = confine(host ?? nodeHost(), options.root);
    const read = readEntry(file, confined.host, { text, root: confined.root }, diagnostics);
    if (read === null) return apiResult(null, diagnostics, sources);
    sources.set(file, new SourceFile(file, read));
    const parsed = parseText(read, file);
    return apiResult(parsed.value, parsed.diagnostics, sources);
  } catch (error) {
    return apiResult(null, diagnostics, sources, internalError(error));
  }
}

export function check(input: ProgramInput, options: CompileOptions = {}): ApiResult<CheckedProgram | null> {
  const c = compileProgram(sourceInput(input), options, 'check');
  return apiResult(c.checked, c.diagnostics, c.loaded.sources, c.internalError);
}

export function compile(input: ProgramInput, options: CompileOptions = {}): ApiResult<Job | null> {
  const c = compileProgram(sourceInput(input), options, 'job');
  return apiResult(c.job, c.diagnostics, c.loaded.sources, c.internalError);
}

/** A result's diagnostics as code frames over its own sources, ending in a count; an internal error says it is one. */
export function render(result: ApiResult<unknown>, options: FrameOptions = {}): string {
  const frames = renderFrames(result.diagnostics, result.sources, options);
  const bug = result.internalError ? `internal error: ${result.internalError.message} (this is a bug in mtl)\n` : '';
  return frames + bug;
}

/**
 * The baselines and ablations of a program (`mtl run --ablate`): its jobs, one per run; null with the diagnostics
 * when the program does not compile, or with `problems` when a variant cannot be derived (a scarcity of an unknown task).
 */
export function derive(input: ProgramInput, specs: readonly VariantSpec[], options: CompileOptions = {}): Result<DerivedJob[] | null> & { problems: string[] } {
  const source = sourceInput(input);
  const c = compileProgram(source, options, 'job');
  if (!c.job) return { value: null, diagnostics: c.diagnostics, problems: [] };
  const { jobs, problems } = deriveFromCompilation(c, source.file, specs, options.noOpt);
  return { value: problems.length ? null : jobs, diagnostics: c.diagnostics, problems };
}

export { compileProgram, type SourceInput, type CompileOptions, type Compilation, type PhaseTime } from './compile.js';
export type { Program } from './syntax/ast.js';
export type { CheckedProgram } from './check/model.js';
export type { Job } from '../job/job.js';
export * from '../job/job.js';
export type { Diagnostic, Span, Severity, Label, Result, InternalError } from './diagnostics/diagnostic.js';
export { deriveJobs, deriveFromCompilation, type DerivedJob, type DeriveInput } from './derive/derive.js';
export { parseAblation, DEFAULT_FRACTIONS, type VariantSpec, type VariantKind } from './derive/variants.js';
export { hasErrors } from './diagnostics/diagnostic.js';
export { renderFrames, renderFrame } from './diagnostics/render-frame.js';
export { renderJson, toJsonDiagnostic } from './diagnostics/render-json.js';
export { SourceFile } from './diagnostics/source.js';
export { Codes } from './diagnostics/codes.js';
export { nodeHost, type Host } from './syntax/load.js';
export { format, FORMAT_WIDTH } from './format/format.js';

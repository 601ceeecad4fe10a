/**
 * The library API: `parse`, `check`, `compile` and `format`, each returning `{ value, diagnostics }` and never throwing on
 * a user's mistake. Render diagnostics with `renderFrames` (terminal) or `renderJson`.
 */
import { parseText } from './syntax/parse.js';
import { compileProgram, type SourceInput, type CompileOptions } from './compile.js';
import type { Program } from './syntax/ast.js';
import type { CheckedProgram } from './check/model.js';
import type { Job } from '../job/job.js';
import { internalError, type Result } from './diagnostics/diagnostic.js';
import { deriveFromCompilation, type DerivedJob } from './derive/derive.js';
import type { VariantSpec } from './derive/variants.js';

export function parse(text: string, options: { file?: string } = {}): Result<Program | null> {
  try {
    return parseText(text, options.file ?? '<input>');
  } catch (error) {
    return { value: null, diagnostics: [], internalError: internalError(error) };
  }
}

export function check(input: SourceInput | string, options: CompileOptions = {}): Result<CheckedProgram | null> {
  const c = compileProgram(typeof input === 'string' ? { file: input } : input, options, 'check');
  return { value: c.checked, diagnostics: c.diagnostics, ...(c.internalError ? { internalError: c.internalError } : {}) };
}

export function compile(input: SourceInput | string, options: CompileOptions = {}): Result<Job | null> {
  const c = compileProgram(typeof input === 'string' ? { file: input } : input, options, 'job');
  return { value: c.job, diagnostics: c.diagnostics, ...(c.internalError ? { internalError: c.internalError } : {}) };
}

/**
 * The baselines and ablations of a program (`mtl run --ablate`): its jobs, one per run; null with the diagnostics
 * when the program does not compile, or with `problems` when a variant cannot be derived (a scarcity of an unknown task).
 */
export function derive(input: SourceInput | string, specs: readonly VariantSpec[], options: CompileOptions = {}): Result<DerivedJob[] | null> & { problems: string[] } {
  const source = typeof input === 'string' ? { file: input } : input;
  const c = compileProgram(source, options, 'job');
  if (!c.job) return { value: null, diagnostics: c.diagnostics, problems: [] };
  const { jobs, problems } = deriveFromCompilation(c, source.file, specs);
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

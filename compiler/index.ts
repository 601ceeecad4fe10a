/**
 * The library API: `parse`, `check` and `compile`, each returning `{ value, diagnostics }` and never throwing on
 * a user's mistake. Render diagnostics with `renderFrames` (terminal) or `renderJson`.
 */
import { parseText } from './syntax/parse.js';
import { compileProgram, type SourceInput, type CompileOptions } from './compile.js';
import type { Program } from './syntax/ast.js';
import type { CheckedProgram } from './check/model.js';
import type { Job } from '../job/job.js';
import type { Result } from './diagnostics/diagnostic.js';

export function parse(text: string, options: { file?: string } = {}): Result<Program> {
  return parseText(text, options.file ?? '<input>');
}

export function check(input: SourceInput | string, options: CompileOptions = {}): Result<CheckedProgram | null> {
  const c = compileProgram(typeof input === 'string' ? { file: input } : input, options, 'check');
  return { value: c.checked, diagnostics: c.diagnostics };
}

export function compile(input: SourceInput | string, options: CompileOptions = {}): Result<Job | null> {
  const c = compileProgram(typeof input === 'string' ? { file: input } : input, options, 'job');
  return { value: c.job, diagnostics: c.diagnostics };
}

export { compileProgram, type SourceInput, type CompileOptions, type Compilation, type PhaseTime } from './compile.js';
export type { Program } from './syntax/ast.js';
export type { CheckedProgram } from './check/model.js';
export type { Job } from '../job/job.js';
export * from '../job/job.js';
export type { Diagnostic, Span, Severity, Label, Result } from './diagnostics/diagnostic.js';
export { hasErrors } from './diagnostics/diagnostic.js';
export { renderFrames, renderFrame } from './diagnostics/render-frame.js';
export { renderJson, toJsonDiagnostic } from './diagnostics/render-json.js';
export { SourceFile } from './diagnostics/source.js';
export { Codes } from './diagnostics/codes.js';
export { nodeHost, type Host } from './syntax/load.js';

/**
 * Diagnostics are data: a stable code, a severity, a message, a primary span with a label,
 * secondary labelled spans, and help. Rendering (code frame or JSON) lives in separate modules.
 * Messages are lowercase without final punctuation; the headline says what is wrong, `help` says how to fix it.
 */
import { compareText } from '../../shared/compare.js';

/** `info` says something worth knowing about a correct program (what it costs); it is neither an error nor a warning. */
export type Severity = 'error' | 'warning' | 'info';

/** A half-open range of character offsets in one source file. */
export interface Span {
  file: string;
  start: number;
  end: number;
}

export interface Label {
  span: Span;
  message: string;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  primary: Label;
  secondary: Label[];
  help: string | null;
}

export interface DiagnosticInput {
  code: string;
  message: string;
  span: Span;
  label?: string;
  secondary?: Label[];
  help?: string | null;
  severity?: Severity;
}

export function diagnostic(input: DiagnosticInput): Diagnostic {
  return {
    code: input.code,
    severity: input.severity ?? 'error',
    message: input.message,
    primary: { span: input.span, message: input.label ?? '' },
    secondary: input.secondary ?? [],
    help: input.help ?? null,
  };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Stable order: by file, then position, then code; so output never depends on rule order. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) =>
    compareText(a.primary.span.file, b.primary.span.file) ||
    a.primary.span.start - b.primary.span.start ||
    compareText(a.code, b.code) ||
    compareText(a.message, b.message));
}

/** The result of every public API entry point: a value (possibly partial) and what was found. */
export interface Result<T> {
  value: T;
  diagnostics: Diagnostic[];
  /** Set when the compiler itself failed (a bug in mtl, not in the program); `value` is then null or partial. */
  internalError?: InternalError;
}

/** An exception the compiler did not expect, caught at the API's edge so no input makes it throw. */
export interface InternalError {
  message: string;
  stack: string;
}

export function internalError(error: unknown): InternalError {
  const e = error instanceof Error ? error : new Error(String(error));
  return { message: `${e.name}: ${e.message}`, stack: e.stack ?? e.message };
}

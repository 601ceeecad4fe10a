/** Renders diagnostics as JSON for tools (`--format json`): spans carry offsets and 1-based line/column. */
import type { Diagnostic, Label } from './diagnostic.js';
import type { Sources } from './source.js';

export interface JsonSpan {
  file: string;
  start: { offset: number; line: number; column: number };
  end: { offset: number; line: number; column: number };
  label: string;
}

export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  primary: JsonSpan;
  secondary: JsonSpan[];
  help: string | null;
}

function toJsonSpan(label: Label, sources: Sources): JsonSpan {
  const source = sources.get(label.span.file);
  const at = (offset: number) => ({ offset, ...(source ? source.position(offset) : { line: 0, column: 0 }) });
  return { file: label.span.file, start: at(label.span.start), end: at(label.span.end), label: label.message };
}

export function toJsonDiagnostic(d: Diagnostic, sources: Sources): JsonDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    primary: toJsonSpan(d.primary, sources),
    secondary: d.secondary.map((s) => toJsonSpan(s, sources)),
    help: d.help,
  };
}

export function renderJson(diagnostics: readonly Diagnostic[], sources: Sources): string {
  return JSON.stringify({ diagnostics: diagnostics.map((d) => toJsonDiagnostic(d, sources)) }, null, 2) + '\n';
}

/**
 * The compiler's diagnostics as LSP diagnostics, grouped by the file they are in: code `MTL0xxx`, severity, the
 * primary label and help in the message (an editor shows one text), secondary labels as related information.
 */
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node.js';
import type { Diagnostic, Severity } from '../compiler/index.js';
import type { Analysis } from './analysis.js';
import type { Positions } from './positions.js';

const SEVERITIES: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toLspDiagnostic(d: Diagnostic, positions: Positions): LspDiagnostic {
  const label = d.primary.message ? `\n${d.primary.message}` : '';
  const help = d.help ? `\nhelp: ${d.help}` : '';
  return {
    range: positions.range(d.primary.span),
    severity: SEVERITIES[d.severity],
    code: d.code,
    source: 'mtl',
    message: `${d.message}${label}${help}`,
    ...(d.secondary.length ? { relatedInformation: d.secondary.map((s) => ({ location: positions.location(s.span), message: s.message })) } : {}),
  };
}

/** An analysis's diagnostics by file, with an internal error (a bug in mtl) at the start of the entry file. */
export function diagnosticsByFile(analysis: Analysis, positions: Positions): Map<string, LspDiagnostic[]> {
  const byFile = new Map<string, LspDiagnostic[]>();
  const add = (file: string, d: LspDiagnostic) => byFile.set(file, [...(byFile.get(file) ?? []), d]);
  for (const d of analysis.diagnostics) add(d.primary.span.file, toLspDiagnostic(d, positions));
  if (analysis.internalError) {
    add(analysis.entry, {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Error, source: 'mtl',
      message: `internal error: ${analysis.internalError.message} (this is a bug in mtl)`,
    });
  }
  return byFile;
}

/** The diagnostics context every check reports through; it caps the error count (graphql-js's maxErrors). */
import { diagnostic, type Diagnostic, type DiagnosticInput, type Span } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';

export const DEFAULT_MAX_ERRORS = 50;

export class DiagnosticsContext {
  private readonly found: Diagnostic[] = [];
  private errors = 0;
  private capped = false;

  /** Spans of declarations with syntax errors: what the checker finds inside them is not reported. */
  private quiet: readonly Span[] = [];

  constructor(private readonly maxErrors: number = DEFAULT_MAX_ERRORS) {}

  /** From now on, drop diagnostics that lie inside one of these spans (their problem is already reported). */
  quietInside(spans: readonly Span[]): void {
    this.quiet = spans;
  }

  report(input: DiagnosticInput): void {
    if (this.capped) return;
    const at = input.span;
    if (this.quiet.some((q) => q.file === at.file && at.start >= q.start && at.end <= q.end && (at.end > at.start || q.end === q.start))) return;
    const d = diagnostic(input);
    if (d.severity === 'error') {
      if (this.errors === this.maxErrors) {
        this.capped = true;
        this.found.push(diagnostic({ code: Codes.TooManyErrors, message: `too many errors: stopped after ${this.maxErrors}`, span: input.span, help: 'fix these first, then check again' }));
        return;
      }
      this.errors++;
    }
    this.found.push(d);
  }

  add(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) this.report({ ...d, span: d.primary.span, label: d.primary.message, secondary: d.secondary, help: d.help });
  }

  get diagnostics(): Diagnostic[] {
    return [...this.found];
  }

  get errorCount(): number {
    return this.errors;
  }
}

/** The diagnostics context every check reports through; it caps the errors shown (graphql-js's maxErrors). */
import { diagnostic, sortDiagnostics, type Diagnostic, type DiagnosticInput, type Span } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';

export const DEFAULT_MAX_ERRORS = 50;

export class DiagnosticsContext {
  private readonly found: Diagnostic[] = [];
  private errors = 0;

  /** Spans of declarations with syntax errors: what the checker finds inside them is not reported. */
  private quiet: readonly Span[] = [];

  constructor(private readonly maxErrors: number = DEFAULT_MAX_ERRORS) {}

  /** From now on, drop diagnostics that lie inside one of these spans (their problem is already reported). */
  quietInside(spans: readonly Span[]): void {
    this.quiet = spans;
  }

  report(input: DiagnosticInput): void {
    const at = input.span;
    if (this.quiet.some((q) => q.file === at.file && at.start >= q.start && at.end <= q.end && (at.end > at.start || q.end === q.start))) return;
    const d = diagnostic(input);
    if (d.severity === 'error') this.errors++;
    this.found.push(d);
  }

  add(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) this.report({ ...d, span: d.primary.span, label: d.primary.message, secondary: d.secondary, help: d.help });
  }

  /**
   * In source order; past `maxErrors` errors, the first ones in the source (whichever rule found them), then one
   * MTL0005 where the first error left out is. Every rule runs to the end, so which errors are shown never depends
   * on the order of the rules.
   */
  get diagnostics(): Diagnostic[] {
    const sorted = sortDiagnostics(this.found);
    if (this.errors <= this.maxErrors) return sorted;
    const shown: Diagnostic[] = [];
    let errors = 0;
    for (const d of sorted) {
      if (d.severity === 'error' && errors === this.maxErrors) {
        shown.push(diagnostic({
          code: Codes.TooManyErrors, message: `too many errors: showing the first ${this.maxErrors} of ${this.errors}`, span: d.primary.span,
          label: 'the first error not shown', help: 'fix these first, then check again (`--max-errors N` shows more)',
        }));
        break;
      }
      if (d.severity === 'error') errors++;
      shown.push(d);
    }
    return shown;
  }

  /** Every error reported so far, shown or not. */
  get errorCount(): number {
    return this.errors;
  }
}

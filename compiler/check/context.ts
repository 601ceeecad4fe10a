/**
 * The diagnostics context every check reports through. It caps the errors shown (graphql-js's maxErrors) and keeps
 * warnings and infos aside, showing them only for a program without errors: after an error a warning is usually an
 * echo of it (the definition a misspelled reference meant is "unused"), and what a broken program would cost is noise. Rules just report; the policy is here, so it does not
 * depend on the order the rules run in.
 */
import { diagnostic, sortDiagnostics, type Diagnostic, type DiagnosticInput, type Span } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';

export const DEFAULT_MAX_ERRORS = 50;

export class DiagnosticsContext {
  private readonly found: Diagnostic[] = [];
  private readonly warnings: Diagnostic[] = [];
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
    if (d.severity !== 'error') {
      this.warnings.push(d);
      return;
    }
    this.errors++;
    this.found.push(d);
  }

  add(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) this.report({ ...d, span: d.primary.span, label: d.primary.message, secondary: d.secondary, help: d.help });
  }

  /**
   * In source order: the warnings and infos when there is no error; otherwise the errors only and, past `maxErrors` of them,
   * the first ones in the source (whichever rule found them), then one MTL0005 where the first error left out is.
   * Every rule runs to the end, so what is shown never depends on the order of the rules.
   */
  get diagnostics(): Diagnostic[] {
    if (this.errors === 0) return sortDiagnostics(this.warnings);
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

  /** Every error reported so far, shown or not. Rules need not consult it before reporting a warning (see above). */
  get errorCount(): number {
    return this.errors;
  }
}

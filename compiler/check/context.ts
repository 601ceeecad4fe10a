/**
 * The diagnostics context every check reports through. It caps the errors shown (graphql-js's maxErrors) and keeps
 * warnings and infos aside, showing them only for a program without errors: after an error a warning is usually an
 * echo of it (the definition a misspelled reference meant is "unused"), and what a broken program would cost is noise. Rules just report; the policy is here, so it does not
 * depend on the order the rules run in.
 */
import { diagnostic, sortDiagnostics, type Diagnostic, type DiagnosticInput, type Span } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';
import { didYouMean } from '../../shared/did-you-mean.js';

export const DEFAULT_MAX_ERRORS = 50;

/**
 * How many candidate names all the "did you mean"s of one check may compare a name with. Each compares it with every
 * declared name of its kind: without a bound, thousands of errors shown (`--max-errors`) over thousands of names
 * would be quadratic. Past it, help falls back to what it says without a suggestion.
 */
export const SUGGESTION_BUDGET = 2_000_000;

/**
 * Help worked out only if its diagnostic is shown: errors past `maxErrors` are counted, not shown, so the work of
 * their help (a "did you mean" compares a name with every declared name of its kind) is never done.
 */
export interface LazyHelp {
  lazy: () => string | null;
}

export type ReportInput = Omit<DiagnosticInput, 'help'> & { help?: string | null | LazyHelp };

export class DiagnosticsContext {
  private readonly found: Diagnostic[] = [];
  private readonly warnings: Diagnostic[] = [];
  private readonly lazyHelp = new Map<Diagnostic, LazyHelp>();
  private errors = 0;
  private suggestionBudget = SUGGESTION_BUDGET;
  /** Candidate names compared by "did you mean" so far (a test bounds it: it is the work that grew quadratically). */
  suggestionComparisons = 0;

  /** Per file, spans of declarations with syntax errors, by start: what the checker finds inside them is not reported. */
  private quiet = new Map<string, Span[]>();

  constructor(private readonly maxErrors: number = DEFAULT_MAX_ERRORS) {}

  /** From now on, drop diagnostics that lie inside one of these spans (their problem is already reported). */
  quietInside(spans: readonly Span[]): void {
    this.quiet = new Map();
    for (const span of spans) {
      const inFile = this.quiet.get(span.file);
      if (inFile) inFile.push(span);
      else this.quiet.set(span.file, [span]);
    }
    for (const list of this.quiet.values()) list.sort((a, b) => a.start - b.start || a.end - b.end);
  }

  /** Whether `at` lies inside a quiet span: declarations do not overlap, so only those starting where the last one before it starts can hold it. */
  private isQuiet(at: Span): boolean {
    const spans = this.quiet.get(at.file);
    if (!spans) return false;
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (spans[mid]!.start <= at.start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && i >= lo - 2; i--) {
      const q = spans[i]!;
      if (at.end <= q.end && (at.end > at.start || q.end === q.start)) return true;
    }
    return false;
  }

  /** Help worked out when (and if) its diagnostic is shown. */
  lazy(help: () => string | null): LazyHelp {
    return { lazy: help };
  }

  /** "did you mean" among `candidates`, within the check's `SUGGESTION_BUDGET`; call it inside `lazy`. */
  didYouMean(name: string, candidates: readonly string[]): string | null {
    if (candidates.length > this.suggestionBudget) return null;
    this.suggestionBudget -= candidates.length;
    this.suggestionComparisons += candidates.length;
    return didYouMean(name, candidates);
  }

  report(input: ReportInput): void {
    if (this.isQuiet(input.span)) return;
    const { help, ...rest } = input;
    const d = diagnostic(typeof help === 'object' && help !== null ? rest : { ...rest, help });
    if (typeof help === 'object' && help !== null) this.lazyHelp.set(d, help);
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
    return this.shown().map((d) => {
      const help = this.lazyHelp.get(d);
      if (help) {
        d.help = help.lazy();
        this.lazyHelp.delete(d);
      }
      return d;
    });
  }

  private shown(): Diagnostic[] {
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

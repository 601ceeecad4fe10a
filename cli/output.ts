/** How the CLI talks: diagnostics to stderr (code frames, or JSON with --format json), exit codes 0/1/2. */
import { renderFrames } from '../compiler/diagnostics/render-frame.js';
import { renderJson } from '../compiler/diagnostics/render-json.js';
import { hasErrors, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { Sources } from '../compiler/diagnostics/source.js';
import type { PhaseTime } from '../compiler/compile.js';

export const EXIT_OK = 0;
export const EXIT_PROGRAM_ERROR = 1;
export const EXIT_USAGE = 2;
/** `mtl run --require-acceptance`: the program ran, and a task failed its acceptance policy. */
export const EXIT_NOT_ACCEPTED = 3;

export type Format = 'text' | 'json';

export function reportDiagnostics(diagnostics: readonly Diagnostic[], sources: Sources, format: Format): number {
  if (format === 'json') process.stdout.write(renderJson(diagnostics, sources));
  else if (diagnostics.length) process.stderr.write(renderFrames(diagnostics, sources, { color: process.stderr.isTTY === true && !process.env.NO_COLOR }));
  return hasErrors(diagnostics) ? EXIT_PROGRAM_ERROR : EXIT_OK;
}

/** A user mistake outside a program (a flag, a file): one paragraph, no stack trace. */
export function fail(message: string, code = EXIT_PROGRAM_ERROR): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** `--time-phases`: one line per phase, with its share of the total (like rustc's `-Z time-passes`). */
export function renderTimings(timings: readonly PhaseTime[]): string {
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  const width = Math.max(5, ...timings.map((t) => t.phase.length));
  const row = (phase: string, ms: number) => `${phase.padEnd(width)}  ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / (total || 1)).toFixed(0).padStart(3)}%`;
  return [...timings.map((t) => row(t.phase, t.ms)), row('total', total)].join('\n') + '\n';
}

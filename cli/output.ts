/** How the CLI talks: diagnostics to stderr (code frames, or JSON with --format json), exit codes 0/1/2. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

/** The compiler or the CLI failed: a bug in mtl (sysexits' EX_SOFTWARE), never a user's mistake. */
export const EXIT_INTERNAL = 70;

export type Format = 'text' | 'json';

export function reportDiagnostics(diagnostics: readonly Diagnostic[], sources: Sources, format: Format): number {
  if (format === 'json') process.stdout.write(renderJson(diagnostics, sources));
  else if (diagnostics.length) process.stderr.write(renderFrames(diagnostics, sources, { color: process.stderr.isTTY === true && !process.env.NO_COLOR }));
  return hasErrors(diagnostics) ? EXIT_PROGRAM_ERROR : EXIT_OK;
}

/** What `mtl check` says of a program without errors (after its warnings, if any). */
export function checkSummary(file: string, tasks: number): string {
  return `${file}: ok (${tasks} task${tasks === 1 ? '' : 's'})\n`;
}

/** A user mistake outside a program (a flag, a file): one paragraph, no stack trace. */
export function fail(message: string, code = EXIT_PROGRAM_ERROR): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/**
 * A bug in mtl: said so, with the stack, and the input kept where a report can attach it (the file may change or
 * be gone by the time someone reads the report).
 */
export function failInternal(error: { message: string; stack: string }, input?: string): never {
  let kept = '';
  if (input !== undefined) {
    try {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-bug-'));
      const copy = path.join(dir, path.basename(input));
      fs.copyFileSync(input, copy);
      kept = `the input is kept at ${copy}; please attach it to the report\n`;
    } catch {
      kept = `the input was ${input}\n`;
    }
  }
  process.stderr.write(`internal error: this is a bug in mtl, not in your program\n${error.message}\n${kept}${error.stack}\n`);
  process.exit(EXIT_INTERNAL);
}

/** `mtl … | head`: the reader closed the pipe, so there is no one left to write to; exit quietly. */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT_OK);
      throw error;
    });
  }
}

/** `--time-phases`: one line per phase, with its share of the total (like rustc's `-Z time-passes`). */
export function renderTimings(timings: readonly PhaseTime[]): string {
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  const width = Math.max(5, ...timings.map((t) => t.phase.length));
  const row = (phase: string, ms: number) => `${phase.padEnd(width)}  ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / (total || 1)).toFixed(0).padStart(3)}%`;
  return [...timings.map((t) => row(t.phase, t.ms)), row('total', total)].join('\n') + '\n';
}

/**
 * One open document checked as a program's entry, exactly as `mtl check` checks it (the compiler's own phases,
 * through a host that serves unsaved text), and the index of the names in it and in the files it imports.
 */
import { performance } from 'node:perf_hooks';
import { compileProgram, type Diagnostic, type Host, type InternalError } from '../compiler/index.js';
import type { CheckedProgram } from '../compiler/check/model.js';
import type { Sources } from '../compiler/diagnostics/source.js';
import { indexProgram, type Occurrence } from './occurrences.js';

export interface Analysis {
  entry: string;
  diagnostics: Diagnostic[];
  internalError?: InternalError;
  /** Every file read, with its text as it was read (an open document's unsaved text). */
  sources: Sources;
  program: CheckedProgram | null;
  /** By file, in source order. */
  occurrences: Map<string, Occurrence[]>;
  /** How long checking and indexing took. */
  ms: number;
}

export function analyze(entry: string, host: Host): Analysis {
  const start = performance.now();
  const c = compileProgram({ file: entry, host }, {}, 'check');
  let occurrences = new Map<string, Occurrence[]>();
  let internalError = c.internalError;
  try {
    if (c.checked) occurrences = indexProgram(c.loaded.files, c.checked);
  } catch (error) {
    // The index is ours, not the compiler's: a bug in it costs hover and navigation, never the diagnostics.
    internalError ??= { message: String(error), stack: (error as Error).stack ?? String(error) };
  }
  return {
    entry, diagnostics: c.diagnostics, sources: c.loaded.sources, program: c.checked, occurrences,
    ms: performance.now() - start, ...(internalError ? { internalError } : {}),
  };
}

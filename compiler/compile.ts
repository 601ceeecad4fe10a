/**
 * The compiler's phases end to end: load (parse + imports) → check → build IR → optimize → lower.
 * Each stage returns what it could make and the diagnostics so far; nothing here throws on user error.
 */
import { loadProgram, nodeHost, type Host, type LoadedProgram } from './syntax/load.js';
import { confine } from './syntax/root.js';
import { checkLoaded, type CheckOptions } from './check/check.js';
import type { CheckedProgram } from './check/model.js';
import { buildGraph } from './ir/build.js';
import { optimize } from './ir/pipeline.js';
import type { IrGraph } from './ir/graph.js';
import { lowerToJob } from './lower/to-job.js';
import type { Job } from '../job/job.js';
import { hasErrors, internalError, type Diagnostic, type InternalError } from './diagnostics/diagnostic.js';
import { performance } from 'node:perf_hooks';

export interface SourceInput {
  /** The program's path: diagnostics name it, relative paths in it resolve against its directory. */
  file: string;
  /** Its text, when it is not to be read from `file`. */
  text?: string;
  host?: Host;
}

export interface CompileOptions extends Omit<CheckOptions, 'root'> {
  /** Check IR invariants after every pass (tests turn this on). */
  verifyIr?: boolean;
  /** Keep the graph as it was after this pass. */
  dumpAfter?: string;
  /** Time every phase and pass (`mtl compile --time-phases`). */
  timePhases?: boolean;
  /** Compile programs the runtime does not run yet, the not-run errors becoming warnings. */
  allowUnrunnable?: boolean;
  /** Optimizations to leave out, by name (`--no-opt`; the optional passes of compiler/ir/pipeline.ts). */
  noOpt?: readonly string[];
  /**
   * A directory the compilation may not read outside of: the entry file (unless its text is given), every import,
   * every dataset file or glob and the Arrow footers read, once symlinks and `..` are resolved (MTL0009). For a service
   * compiling other people's programs; without it a program reads any file its user can.
   */
  root?: string;
}

/** How long one phase (or one optimization pass) took. */
export interface PhaseTime {
  phase: string;
  ms: number;
}

export interface Compilation {
  loaded: LoadedProgram;
  checked: CheckedProgram | null;
  graph: IrGraph | null;
  dumped: IrGraph | null;
  job: Job | null;
  diagnostics: Diagnostic[];
  /** In the order they ran; empty unless `timePhases` was asked for. */
  timings: PhaseTime[];
  /** The compiler failed on this input: a bug in mtl (see `Result.internalError`). */
  internalError?: InternalError;
}

/** Never throws: an exception from a phase is returned as `internalError`, with what was made before it. */
export function compileProgram(input: SourceInput, options: CompileOptions = {}, until: 'check' | 'job' = 'job'): Compilation {
  const partial: Compilation = { loaded: { entry: input.file, files: [], sources: new Map() }, checked: null, graph: null, dumped: null, job: null, diagnostics: [], timings: [] };
  try {
    return runPhases(input, options, until, partial);
  } catch (error) {
    return { ...partial, job: null, internalError: internalError(error) };
  }
}

function runPhases(input: SourceInput, options: CompileOptions, until: 'check' | 'job', partial: Compilation): Compilation {
  const { host, root } = confine(input.host ?? nodeHost(), options.root);
  const timings = partial.timings;
  const timed = <T>(phase: string, run: () => T): T => {
    if (!options.timePhases) return run();
    const start = performance.now();
    const value = run();
    timings.push({ phase, ms: performance.now() - start });
    return value;
  };
  const loaded = timed('parse', () => loadProgram(input.file, host, { text: input.text, root }));
  partial.loaded = loaded.value;
  partial.diagnostics = loaded.diagnostics;
  const checked = timed('check', () => checkLoaded(loaded.value, host, loaded.diagnostics, { ...options, root }));
  const result: Compilation = { loaded: loaded.value, checked: checked.value, graph: null, dumped: null, job: null, diagnostics: checked.diagnostics, timings };
  if (until === 'check' || hasErrors(checked.diagnostics)) return result;
  const built = timed('build IR', () => buildGraph(checked.value));
  const optimized = optimize(built, {
    verify: options.verifyIr ?? false, dumpAfter: options.dumpAfter, timings: options.timePhases ? timings : undefined, skip: new Set(options.noOpt ?? []),
  });
  result.graph = optimized.graph;
  result.dumped = optimized.dumped;
  const entryText = loaded.value.sources.get(input.file)?.text ?? '';
  result.job = timed('lower', () => lowerToJob(optimized.graph, { entry: input.file, sourceText: entryText }));
  return result;
}

/**
 * Shared helpers of the compiler tests: an in-memory file system (a `Host`), compiling a source string through the
 * public API, and `expectDiagnostics`, which asserts the exact set of diagnostics with their lines and columns
 * (graphql-js's `expectErrors` harness).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { compileProgram, nodeHost, type Compilation, type CompileOptions, type Diagnostic, type Host } from '../../compiler/index.js';
import { SourceFile } from '../../compiler/diagnostics/source.js';
import { renderFrames } from '../../compiler/diagnostics/render-frame.js';

/** Tests run from the repository root (`npm test` does); paths to fixtures and examples are relative to it. */
export const repoRoot = process.cwd();

/** Glob → regular expression for the in-memory host: `*` and `?` stay within a path segment, `**` crosses them. */
function globPattern(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** A host over a map of path → text. Globs match the map's keys; results are sorted. */
export function memoryHost(files: Record<string, string>): Host {
  const normalized = new Map(Object.entries(files).map(([file, text]) => [path.normalize(file), text]));
  return {
    readFile: (file) => normalized.get(path.normalize(file)) ?? null,
    glob(pattern, cwd) {
      // Like the real host: relative patterns resolve against `cwd` and come back relative to it; absolute ones stay absolute.
      const absolute = path.isAbsolute(pattern);
      const full = globPattern(path.normalize(absolute ? pattern : path.join(cwd, pattern)));
      return [...normalized.keys()].filter((file) => full.test(file)).map((file) => (absolute ? file : path.relative(cwd, file))).sort();
    },
  };
}

/** The data file every in-memory program may read. */
export const DATA_FILE = 'data/rows.arrow';

/** A dataset declaration with every column type, reading DATA_FILE (its columns match test/fixtures/data/tiny.arrow). */
export const ROWS = `dataset rows {
  files: "${DATA_FILE}"
  columns: { age: float, hours: int, label: int, flag: bool, color: string, part: string, words: list(string), tags: list(string), heads: list(int), pixels: list(float) }
}`;

export interface CompileSource {
  /** The entry file's name (default `main.mtl`). */
  file?: string;
  /** Other files of the in-memory file system (imports, data). DATA_FILE always exists. */
  files?: Record<string, string>;
  options?: CompileOptions;
}

/** Compiles `source` as the entry file of an in-memory program through the public API. */
export function compileSource(source: string, input: CompileSource = {}): Compilation {
  const file = input.file ?? 'main.mtl';
  const host = memoryHost({ [DATA_FILE]: '', ...input.files, [file]: source });
  return compileProgram({ file, text: source, host }, input.options ?? {});
}

export interface ExpectedDiagnostic {
  code: string;
  /** 1-based line and column of the primary span's start. */
  line: number;
  column: number;
  /** The whole message, when given. */
  message?: string;
  /** Default: 'error'. */
  severity?: 'error' | 'warning' | 'info';
}

/** A diagnostic as the tests compare it: where its primary span starts, in the entry file's lines. */
export function located(d: Diagnostic, sources: ReadonlyMap<string, SourceFile>): Required<ExpectedDiagnostic> & { file: string } {
  const source = sources.get(d.primary.span.file);
  const { line, column } = source ? source.position(d.primary.span.start) : { line: 0, column: 0 };
  return { code: d.code, line, column, message: d.message, severity: d.severity, file: d.primary.span.file };
}

const order = (a: { line: number; column: number; code: string }, b: { line: number; column: number; code: string }) =>
  a.line - b.line || a.column - b.column || a.code.localeCompare(b.code);

/**
 * Compiles `source` and asserts that its diagnostics are exactly `expected` (order-independent; every diagnostic
 * accounted for, none extra). Returns the compilation for further checks.
 */
export function expectDiagnostics(source: string, expected: ExpectedDiagnostic[], input: CompileSource = {}): Compilation {
  const c = compileSource(source, input);
  const actual = c.diagnostics.map((d) => located(d, c.loaded.sources)).sort(order).map((d) => {
    const want = expected.find((e) => e.line === d.line && e.column === d.column && e.code === d.code);
    return { code: d.code, line: d.line, column: d.column, severity: d.severity, ...(want?.message !== undefined ? { message: d.message } : {}) };
  });
  const wanted = [...expected].sort(order).map((e) => ({ code: e.code, line: e.line, column: e.column, severity: e.severity ?? 'error', ...(e.message !== undefined ? { message: e.message } : {}) }));
  assert.deepEqual(actual, wanted, `diagnostics differ; the compiler reported:\n${renderFrames(c.diagnostics, c.loaded.sources)}`);
  return c;
}

/** The single diagnostic of a compilation (asserting there is exactly one). */
export function single(c: Compilation): Diagnostic {
  assert.equal(c.diagnostics.length, 1, renderFrames(c.diagnostics, c.loaded.sources));
  return c.diagnostics[0]!;
}

/** Line and column of an offset in a source text (1-based), for asserting secondary spans. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  return new SourceFile('x', source).position(offset);
}

/**
 * Line and column (1-based) of the `occurrence`-th appearance of `needle` in `source`: expectations name the token a
 * diagnostic must point at instead of counting columns by hand. With `part`, the position of the last `part` inside
 * that appearance (`pos(source, 'task t', 2, 't')` is the name of the second `task t`). Throws if it is not there.
 */
export function pos(source: string, needle: string, occurrence = 1, part?: string): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i < occurrence; i++) {
    at = source.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`\`${needle}\` (occurrence ${occurrence}) is not in the source`);
  }
  if (part !== undefined) {
    const inner = needle.lastIndexOf(part);
    if (inner < 0) throw new Error(`\`${part}\` is not in \`${needle}\``);
    at += inner;
  }
  return positionOf(source, at);
}

/** Where a label's span starts, as { line, column } in its file. */
export function labelAt(c: Compilation, span: { file: string; start: number }): { line: number; column: number } {
  const source = c.loaded.sources.get(span.file);
  if (!source) throw new Error(`no source for ${span.file}`);
  return source.position(span.start);
}

/**
 * A host for the example programs whose data files are built separately: files on disk are found as they are (a split
 * by files names some of the files a glob matched), and any other pattern stands for one file of its own name.
 */
export const dataExists: Host = {
  readFile: nodeHost().readFile,
  glob: (pattern, dir) => {
    const found = nodeHost().glob(pattern, dir);
    return found.length > 0 ? found : [pattern];
  },
};

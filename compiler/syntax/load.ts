/**
 * Loads a program and, transitively, the files it imports (paths relative to the importing file).
 * Files come back in dependency order (imports before importers); import cycles and missing files are diagnostics.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { parseText } from './parse.js';
import type { Program } from './ast.js';
import { diagnostic, hasErrors, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { Codes } from '../diagnostics/codes.js';
import { SourceFile } from '../diagnostics/source.js';
import type { Root } from './root.js';
import type { Host } from './host.js';
import { readArrowSchema } from '../data/arrow-schema.js';
export type { Host } from './host.js';

export interface LoadedProgram {
  entry: string;
  /** Dependency order: every file after the files it imports. */
  files: Program[];
  sources: Map<string, SourceFile>;
}

export interface LoadOptions {
  /** The entry file's text, when it is not to be read from `entry`. */
  text?: string;
  /** Read nothing outside this directory (`CompileOptions.root`). */
  root?: Root | null;
}

export function loadProgram(entry: string, host: Host, { text: entryText, root = null }: LoadOptions = {}): { value: LoadedProgram; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceFile>();
  const files: Program[] = [];
  const state = new Map<string, 'loading' | 'done'>();

  const visit = (file: string, text: string, chain: string[], parsed = parseText(text, file)) => {
    state.set(file, 'loading');
    sources.set(file, new SourceFile(file, text));
    diagnostics.push(...parsed.diagnostics);
    for (const imp of parsed.value.imports) {
      if (imp.recovered && !imp.path) continue; // `import` without a path: its syntax error says it all
      const target = importTarget(file, imp.path);
      if (state.get(target) === 'loading') {
        const cycle = [...chain.slice(chain.indexOf(target)), file, target].map((f) => path.basename(f)).join(' → ');
        diagnostics.push(diagnostic({ code: Codes.ImportCycle, message: `import cycle: ${cycle}`, span: imp.pathSpan, label: 'this import closes the cycle', help: 'move what both files need into a third file that imports neither' }));
        continue;
      }
      if (state.get(target) === 'done') continue;
      if (root && !root.contains(target)) {
        diagnostics.push(outsideRoot(`imported file \`${imp.path}\``, imp.pathSpan, root));
        continue;
      }
      const importedText = host.readFile(target);
      if (importedText === null) {
        diagnostics.push(diagnostic({ code: Codes.ImportNotFound, message: `cannot read imported file \`${imp.path}\``, span: imp.pathSpan, label: `looked for ${target}`, help: 'import paths are relative to the file that imports them; only regular files are read (not a directory, device or FIFO)' }));
        continue;
      }
      const notText = notProgramText(importedText);
      if (notText) {
        diagnostics.push(diagnostic({ code: Codes.NotProgramText, message: `imported file \`${imp.path}\` is not program text: ${notText}`, span: imp.pathSpan, label: 'not parsed', help: 'import `.mtl` files; data files are named in a dataset\'s `files`' }));
        continue;
      }
      // A text file that is not a program (`import "/etc/passwd"`) is refused whole: its syntax errors would quote it.
      const importedParse = parseText(importedText, target);
      if (!target.endsWith('.mtl') && hasErrors(importedParse.diagnostics)) {
        diagnostics.push(diagnostic({
          code: Codes.NotAProgram, message: `imported file \`${imp.path}\` is not a program: it does not parse as one`, span: imp.pathSpan, label: 'not a program',
          help: 'import `.mtl` programs (its text is not shown: a file that is not a program may hold anything)',
        }));
        continue;
      }
      visit(target, importedText, [...chain, file], importedParse);
    }
    state.set(file, 'done');
    files.push(parsed.value);
  };

  const text = readEntry(entry, host, { text: entryText, root }, diagnostics);
  if (text !== null) visit(entry, text, []);
  return { value: { entry, files, sources }, diagnostics };
}

/** The entry file's text, or null with a diagnostic when it cannot be read or is not program text. */
export function readEntry(entry: string, host: Host, { text: entryText, root = null }: LoadOptions, diagnostics: Diagnostic[]): string | null {
  if (entryText === undefined && root && !root.contains(entry)) {
    diagnostics.push(outsideRoot(`\`${entry}\``, { file: entry, start: 0, end: 0 }, root));
    return null;
  }
  const text = entryText ?? host.readFile(entry);
  if (text === null) {
    diagnostics.push(diagnostic({ code: Codes.ImportNotFound, message: `cannot read \`${entry}\``, span: { file: entry, start: 0, end: 0 }, help: 'check the path' }));
    return null;
  }
  const notText = notProgramText(text);
  if (notText) {
    diagnostics.push(diagnostic({ code: Codes.NotProgramText, message: `\`${entry}\` is not program text: ${notText}`, span: { file: entry, start: 0, end: 0 }, help: 'give `mtl` a `.mtl` program; data files are named in a dataset\'s `files`' }));
    return null;
  }
  return text;
}

/** A file the compilation may not read: named as written and by the root, never opened. */
function outsideRoot(what: string, span: Span, root: Root): Diagnostic {
  return diagnostic({
    code: Codes.OutsideRoot, message: `${what} is outside the root directory \`${root.dir}\``, span, label: 'outside the root',
    help: `this compilation reads files under \`${root.dir}\` only (symlinks and \`..\` resolved)`,
  });
}

/** Larger files are refused unparsed: no program is near this size, and a data file read by mistake often is. */
export const MAX_PROGRAM_CHARS = 4 * 1024 * 1024;

/** Why a file's text is not a program (binary data, too large), or null. Its content is never quoted. */
function notProgramText(text: string): string | null {
  if (text.length > MAX_PROGRAM_CHARS) return `it is larger than ${MAX_PROGRAM_CHARS / 1024 / 1024} MB`;
  if (text.includes('\0')) return 'it holds NUL bytes (binary data)';
  if (text.includes('\uFFFD')) return 'it is not valid UTF-8 (binary data?)';
  return null;
}

/** The file an import names: relative to the importing file, unless absolute. */
export function importTarget(importer: string, imported: string): string {
  return path.isAbsolute(imported) ? path.normalize(imported) : path.normalize(path.join(path.dirname(importer), imported));
}

/** The host backed by the real file system. */
export function nodeHost(): Host {
  return {
    readFile(file) {
      // Only regular files, and no more than one character past the limit: a FIFO would block, `/dev/zero` never ends.
      let fd: number | null = null;
      try {
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        const stat = fs.fstatSync(fd);
        if (!stat.isFile()) return null;
        const buffer = Buffer.alloc(Math.min(stat.size, MAX_PROGRAM_CHARS * 4) + 4);
        const size = fs.readSync(fd, buffer, 0, buffer.length, 0);
        return buffer.toString('utf8', 0, size);
      } catch {
        return null;
      } finally {
        if (fd !== null) fs.closeSync(fd);
      }
    },
    arrowSchema: readArrowSchema,
    glob(pattern, cwd) {
      // Regular files only, as the glob's `onlyFiles`: a device or a FIFO named as data would never end or never start.
      if (!/[*?[{]/.test(pattern)) return fs.statSync(path.resolve(cwd, pattern), { throwIfNoEntry: false })?.isFile() ? [pattern] : [];
      // Required when a pattern needs it: loading fast-glob costs every `mtl check` tens of milliseconds.
      const fg = createRequire(import.meta.url)('fast-glob') as typeof import('fast-glob');
      return fg.sync(pattern, { cwd, onlyFiles: true }).sort();
    },
  };
}

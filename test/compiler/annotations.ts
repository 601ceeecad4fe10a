/**
 * The inline expectations of the fixture corpus (test/fixtures/README.md documents them):
 *
 *   task t { features: f, target: incme, head: binary }   //~ error MTL0201 has no column `incme`
 *   //~^ error MTL0201 ...      the line above (one `^` per line up)
 *   //~| warning MTL0901 ...    the same line as the annotation before it
 *   //@ max-errors: 3           a compile option for the whole fixture
 *   //@ allow-unrunnable        what this version does not run is a warning (MTL0501), so the fixture compiles
 *   //@ root: ..                compile confined to this directory (relative to the fixture's), as `CompileOptions.root`
 *
 * An annotation expects one diagnostic whose primary span starts on that line, with that severity and code, whose
 * message contains the text (the text may be empty). Anything after `//~` that does not parse is an error in the
 * fixture, so a typo cannot silently expect nothing.
 */
import * as path from 'node:path';

export interface Expectation {
  file: string;
  line: number;
  severity: 'error' | 'warning' | 'info';
  code: string;
  text: string;
  /** Where the annotation itself is written (for messages about it). */
  writtenAt: number;
}

export interface FixtureOptions {
  maxErrors?: number;
  allowUnrunnable?: boolean;
  /** The `root` directive's directory, joined to the fixture's own. */
  root?: string;
}

const ANNOTATION = /^\/\/~(\^+|\|)?\s+(error|warning|info)\s+(MTL\d{4})(?:\s+(.*))?$/;
const DIRECTIVE = /^\/\/@\s+([a-z-]+)(?::\s*(.*))?$/;

export function parseAnnotations(file: string, text: string): { expectations: Expectation[]; options: FixtureOptions; problems: string[] } {
  const expectations: Expectation[] = [];
  const options: FixtureOptions = {};
  const problems: string[] = [];
  let previousTarget: number | null = null;
  text.split('\n').forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.replace(/\r$/, '');
    const directive = line.trimStart().startsWith('//@') ? DIRECTIVE.exec(line.trim()) : null;
    if (line.trimStart().startsWith('//@')) {
      if (directive?.[1] === 'max-errors' && /^\d+$/.test(directive[2]?.trim() ?? '')) options.maxErrors = Number(directive[2]);
      else if (directive?.[1] === 'allow-unrunnable' && directive[2] === undefined) options.allowUnrunnable = true;
      else if (directive?.[1] === 'root' && directive[2]?.trim()) options.root = path.join(path.dirname(file), directive[2].trim());
      else problems.push(`${file}:${lineNumber}: unknown directive \`${line.trim()}\` (known: \`//@ max-errors: N\`, \`//@ allow-unrunnable\`, \`//@ root: DIR\`)`);
      return;
    }
    const at = line.indexOf('//~');
    if (at < 0) return;
    const match = ANNOTATION.exec(line.slice(at).trimEnd());
    if (!match) {
      problems.push(`${file}:${lineNumber}: malformed annotation \`${line.slice(at)}\` (expected \`//~ error MTL0101 text\`)`);
      return;
    }
    const [, marker, severity, code, message] = match;
    let target = lineNumber;
    if (marker === '|') {
      if (previousTarget === null) {
        problems.push(`${file}:${lineNumber}: \`//~|\` with no annotation before it`);
        return;
      }
      target = previousTarget;
    } else if (marker) target = lineNumber - marker.length;
    previousTarget = target;
    expectations.push({ file, line: target, severity: severity as 'error' | 'warning' | 'info', code: code!, text: (message ?? '').trim(), writtenAt: lineNumber });
  });
  return { expectations, options, problems };
}

export interface ActualDiagnostic {
  file: string;
  line: number;
  severity: string;
  code: string;
  message: string;
}

/**
 * Pairs expectations with diagnostics (same file, line, severity and code; message containing the text). Longer
 * texts are matched first so a vaguer expectation cannot take the diagnostic a precise one needs.
 */
export function matchExpectations(expectations: Expectation[], actual: ActualDiagnostic[]): { missing: Expectation[]; unexpected: ActualDiagnostic[] } {
  const left = [...actual];
  const missing: Expectation[] = [];
  for (const e of [...expectations].sort((a, b) => b.text.length - a.text.length)) {
    const i = left.findIndex((d) => d.file === e.file && d.line === e.line && d.severity === e.severity && d.code === e.code && d.message.includes(e.text));
    if (i < 0) missing.push(e);
    else left.splice(i, 1);
  }
  return { missing: missing.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line), unexpected: left };
}

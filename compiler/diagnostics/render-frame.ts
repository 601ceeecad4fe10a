/**
 * Renders diagnostics as terminal code frames, after rustc:
 *
 *   error[MTL0101]: unknown task `incme`
 *     --> census.mtl:42:14
 *      |
 *   42 |   tasks: [incme, married]
 *      |           ^^^^^ not defined
 *      |
 *      = help: did you mean `income`?
 *
 * Secondary spans get their own frame (`:::`) with `-` underlines, or, on the line just shown, an underline below it.
 * Paths are printed as given.
 */
import type { Diagnostic, Label } from './diagnostic.js';
import type { Sources } from './source.js';

export interface FrameOptions {
  color?: boolean;
}

const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

export function renderFrame(d: Diagnostic, sources: Sources, options: FrameOptions = {}): string {
  const color = options.color ?? false;
  const bold = paint(color, '1');
  const severityColor = paint(color, d.severity === 'error' ? '1;31' : d.severity === 'warning' ? '1;33' : '1;36');
  const blue = paint(color, '1;34');
  const labels = [d.primary, ...d.secondary];
  const gutter = Math.max(...labels.map((l) => String(lineOf(l, sources)).length));
  const pad = ' '.repeat(gutter);
  const out: string[] = [`${severityColor(`${d.severity}[${d.code}]`)}${bold(`: ${d.message}`)}`];
  let shownLine: { file: string; line: number } | null = null;
  labels.forEach((label, i) => {
    const primary = i === 0;
    const source = sources.get(label.span.file);
    if (!source) {
      out.push(`${pad}${blue(primary ? '-->' : ':::')} ${label.span.file}`);
      shownLine = null;
      return;
    }
    const start = source.position(label.span.start);
    const end = source.position(Math.max(label.span.start, label.span.end - 1));
    const text = source.lineText(start.line);
    // A label on the line just shown is underlined below it, without printing the line again (rustc does the same).
    const sameLine = shownLine !== null && shownLine.file === label.span.file && shownLine.line === start.line;
    if (!sameLine) {
      out.push(`${pad}${blue(primary ? '-->' : ':::')} ${label.span.file}:${start.line}:${start.column}`);
      out.push(`${pad} ${blue('|')}`);
      out.push(`${blue(String(start.line).padStart(gutter))} ${blue('|')} ${text.replace(/\t/g, TAB)}`.trimEnd());
    }
    shownLine = { file: label.span.file, line: start.line };
    // Underline from the start to the end column, or to the end of the line when the span goes on.
    const from = displayWidth(text.slice(0, start.column - 1));
    const to = end.line === start.line ? displayWidth(text.slice(0, end.column)) : displayWidth(text);
    const mark = (primary ? '^' : '-').repeat(Math.max(1, to - from));
    const underline = `${' '.repeat(from)}${primary ? severityColor(mark) : blue(mark)}${label.message ? ' ' + label.message : ''}`;
    out.push(`${pad} ${blue('|')} ${underline}`.trimEnd());
  });
  if (d.help) {
    out.push(`${pad} ${blue('|')}`);
    out.push(`${pad} ${blue('=')} ${bold('help')}: ${d.help}`);
  }
  return out.join('\n');
}

/** Tabs are shown as four spaces (as rustc does), so carets stay under what they point at whatever the terminal's tab stops. */
const TAB = '    ';

/**
 * The columns `text` takes in a terminal, so carets stay under a name written in another script: a tab four, an
 * accent written apart (a combining mark) none, a CJK character or an emoji two, anything else one.
 */
function displayWidth(text: string): number {
  let width = 0;
  for (const c of text) width += c === '\t' ? TAB.length : COMBINING.test(c) ? 0 : isWide(c.codePointAt(0)!) ? 2 : 1;
  return width;
}

const COMBINING = /^\p{M}$/u;

/** East Asian Wide and Fullwidth ranges (Unicode UAX #11), the common ones. */
const isWide = (cp: number) =>
  (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) || (cp >= 0xac00 && cp <= 0xd7a3) ||
  (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) ||
  (cp >= 0x1f300 && cp <= 0x1f64f) || (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);

function lineOf(label: Label, sources: Sources): number {
  const source = sources.get(label.span.file);
  return source ? source.position(label.span.start).line : 1;
}

export function renderFrames(diagnostics: readonly Diagnostic[], sources: Sources, options: FrameOptions = {}): string {
  if (diagnostics.length === 0) return '';
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  // Infos are not counted: a program that only has them has nothing to fix.
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const summary = [errors ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '']
    .filter(Boolean).join(', ');
  return diagnostics.map((d) => renderFrame(d, sources, options)).join('\n\n') + (summary ? `\n\n${summary}\n` : '\n');
}

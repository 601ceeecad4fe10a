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
 * Secondary spans get their own frame (`:::`) with `-` underlines. Paths are printed as given.
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
  labels.forEach((label, i) => {
    const primary = i === 0;
    const source = sources.get(label.span.file);
    if (!source) {
      out.push(`${pad}${blue(primary ? '-->' : ':::')} ${label.span.file}`);
      return;
    }
    const start = source.position(label.span.start);
    const end = source.position(Math.max(label.span.start, label.span.end - 1));
    out.push(`${pad}${blue(primary ? '-->' : ':::')} ${label.span.file}:${start.line}:${start.column}`);
    out.push(`${pad} ${blue('|')}`);
    const text = source.lineText(start.line);
    out.push(`${blue(String(start.line).padStart(gutter))} ${blue('|')} ${text.replace(/\t/g, TAB)}`.trimEnd());
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
const displayWidth = (text: string) => text.length + (TAB.length - 1) * (text.split('\t').length - 1);

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

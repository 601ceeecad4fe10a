/**
 * Regenerates the annotations of fixtures from what the compiler reports now (rustc's `--bless`), for a person to
 * review: the annotations in the files stay the source of truth, and this only saves typing them.
 *
 *   npx tsx test/compiler/bless.ts test/fixtures/names/unknown-task.mtl          # print the annotated fixture
 *   npx tsx test/compiler/bless.ts --write test/fixtures/names/*.mtl             # rewrite the files
 *
 * Only the entry file is annotated; expectations in imported `_` files are kept as they are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileProgram, nodeHost } from '../../compiler/index.js';
import { parseAnnotations } from './annotations.js';
import { fixtureCompileOptions } from './fixture-runner.js';

/** The fixture's text without its `//~` annotations (lines holding only an annotation are dropped). */
export function stripAnnotations(text: string): string {
  return text.split('\n').flatMap((line) => {
    const at = line.indexOf('//~');
    if (at < 0) return [line];
    const before = line.slice(0, at).trimEnd();
    return before ? [before] : [];
  }).join('\n');
}

/** The fixture's text annotated with the diagnostics it compiles to (directives such as `//@ max-errors` kept and obeyed). */
export function bless(file: string): string {
  const stripped = stripAnnotations(fs.readFileSync(file, 'utf8'));
  const { options } = parseAnnotations(file, stripped);
  const c = compileProgram({ file, text: stripped, host: nodeHost() }, { verifyIr: true, ...fixtureCompileOptions(options) });
  const source = c.loaded.sources.get(file)!;
  const byLine = new Map<number, string[]>();
  for (const d of c.diagnostics) {
    if (d.primary.span.file !== file) continue;
    const line = source.position(d.primary.span.start).line;
    byLine.set(line, [...(byLine.get(line) ?? []), `${d.severity} ${d.code} ${d.message}`]);
  }
  return stripped.split('\n').flatMap((text, i) => {
    const found = byLine.get(i + 1);
    if (!found) return [text];
    const [first, ...more] = found;
    return [`${text}${text.trim() ? '   ' : ''}//~ ${first}`, ...more.map((m) => `//~| ${m}`)];
  }).join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const write = process.argv.includes('--write');
  for (const file of process.argv.slice(2).filter((a) => a !== '--write')) {
    const text = bless(file);
    if (write) fs.writeFileSync(file, text);
    else process.stdout.write(`// ---- ${file}\n${text}${text.endsWith('\n') ? '' : '\n'}`);
  }
}

/**
 * Regenerates the annotations of fixtures from what the compiler reports now (rustc's `--bless`), and their golden
 * code frames (`name.frames.txt`), for a person to review: the annotations in the files stay the source of truth, and
 * this only saves typing them. Run it from the repository's root, so the frames name files as the test does.
 *
 *   npx tsx test/compiler/bless.ts test/fixtures/names/unknown-task.mtl          # print the annotated fixture and its frames
 *   npx tsx test/compiler/bless.ts --write test/fixtures/names/*.mtl             # rewrite the files and their frames
 *   npx tsx test/compiler/bless.ts --frames test/fixtures/names/*.mtl            # rewrite only the frames, of the files as they are
 *
 * Only the entry file is annotated; expectations in imported `_` files are kept as they are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileProgram, nodeHost } from '../../compiler/index.js';
import { parseAnnotations } from './annotations.js';
import { fixtureCompileOptions, framesPath, renderedCheck } from './fixture-runner.js';

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

/** What `mtl check` renders for the fixture once its text is `text` (the annotations shift no column, but add lines). */
export function framesOf(file: string, text: string): string {
  const { options } = parseAnnotations(file, text);
  const c = compileProgram({ file, text, host: nodeHost() }, { verifyIr: true, ...fixtureCompileOptions(options) });
  return renderedCheck(c, file);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flags = ['--write', '--frames'];
  const write = process.argv.includes('--write');
  const framesOnly = process.argv.includes('--frames');
  for (const given of process.argv.slice(2).filter((a) => !flags.includes(a))) {
    const file = path.relative(process.cwd(), path.resolve(given));
    if (framesOnly) {
      fs.writeFileSync(framesPath(file), framesOf(file, fs.readFileSync(file, 'utf8')));
      continue;
    }
    const text = bless(file);
    const frames = framesOf(file, text);
    if (write) {
      fs.writeFileSync(file, text);
      fs.writeFileSync(framesPath(file), frames);
    } else {
      process.stdout.write(`// ---- ${file}\n${text}${text.endsWith('\n') ? '' : '\n'}// ---- ${framesPath(file)}\n${frames}`);
    }
  }
}

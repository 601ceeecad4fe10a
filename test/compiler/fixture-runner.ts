/**
 * Running one fixture of the corpus (see fixtures.test.ts and test/fixtures/README.md): compile it through the public
 * API with the IR verified after every pass, and compare its diagnostics with its annotations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileProgram, hasErrors, renderFrames, type Compilation, type CompileOptions } from '../../compiler/index.js';
import { checkSummary } from '../../cli/output.js';
import { validateJob } from '../../job/schema.js';
import { matchExpectations, parseAnnotations, type ActualDiagnostic, type Expectation, type FixtureOptions } from './annotations.js';

export const FIXTURES = path.join('test', 'fixtures');

/** The compile options a fixture's directives ask for. */
export function fixtureCompileOptions(options: FixtureOptions): CompileOptions {
  return {
    ...(options.maxErrors !== undefined ? { maxErrors: options.maxErrors } : {}),
    ...(options.allowUnrunnable ? { allowUnrunnable: true } : {}),
    ...(options.root !== undefined ? { root: options.root } : {}),
  };
}

export function fixtureFiles(dir = FIXTURES): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'data' ? [] : fixtureFiles(full);
    return entry.name.endsWith('.mtl') && !entry.name.startsWith('_') ? [full] : [];
  }).sort();
}

/** The golden code frames of a fixture: `name.mtl` → `name.frames.txt`, beside it. */
export const framesPath = (file: string) => file.replace(/\.mtl$/, '.frames.txt');

/**
 * The full text `mtl check FILE` writes for a fixture (with its directives as flags): the code frames without colour,
 * and the summary line of a program without errors. Paths are as the fixture was named, relative to the repository.
 */
export function renderedCheck(compilation: Compilation, file: string): string {
  const frames = renderFrames(compilation.diagnostics, compilation.loaded.sources);
  return hasErrors(compilation.diagnostics) ? frames : frames + checkSummary(file, compilation.checked?.tasks.size ?? 0);
}

/** Compiles one fixture and compares its diagnostics with its annotations (and those of the files it imports). */
export function runFixture(file: string): { problems: string[]; compilation: Compilation } {
  const entry = parseAnnotations(file, fs.readFileSync(file, 'utf8'));
  const compilation = compileProgram({ file }, { verifyIr: true, ...fixtureCompileOptions(entry.options) });
  const problems = [...entry.problems];
  const expectations: Expectation[] = [...entry.expectations];
  for (const [name, source] of compilation.loaded.sources) {
    if (name === file) continue;
    const imported = parseAnnotations(name, source.text);
    problems.push(...imported.problems);
    expectations.push(...imported.expectations);
  }
  const actual: ActualDiagnostic[] = compilation.diagnostics.map((d) => ({
    file: d.primary.span.file,
    line: compilation.loaded.sources.get(d.primary.span.file)?.position(d.primary.span.start).line ?? 0,
    severity: d.severity,
    code: d.code,
    message: d.message,
  }));
  const { missing, unexpected } = matchExpectations(expectations, actual);
  for (const e of missing) problems.push(`expected but not reported: ${e.file}:${e.line}: ${e.severity} ${e.code} ${JSON.stringify(e.text)} (annotation on line ${e.writtenAt})`);
  if (unexpected.length) {
    const frames = renderFrames(compilation.diagnostics.filter((d) => unexpected.some((u) => u.code === d.code && u.message === d.message && u.file === d.primary.span.file)), compilation.loaded.sources);
    problems.push(`reported but not expected:\n${unexpected.map((u) => `  ${u.file}:${u.line}: ${u.severity} ${u.code} ${u.message}`).join('\n')}\n${frames}`);
  }
  const errorsExpected = expectations.some((e) => e.severity === 'error');
  if (!errorsExpected && missing.length === 0 && unexpected.length === 0) {
    if (!compilation.job) problems.push('no errors, yet no job');
    else problems.push(...validateJob(compilation.job).map((p) => `job schema: ${p}`));
  }
  return { problems, compilation };
}


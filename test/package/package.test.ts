/**
 * What a user of the package meets first: the README's embedding snippet, run as written; what `npm pack` ships; and
 * that `mtl --help` and `mtl check` start without loading TensorFlow.js, and `--help` without loading the compiler.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const root = process.cwd();

/** The first ```ts block under "## Embedding the compiler" in README.md. */
function readmeSnippet(): string {
  const readme = fs.readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Embedding the compiler'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README.md has a ts block under "## Embedding the compiler"');
  return match[1]!;
}

/** Runs the snippet in `cwd`. It sits inside the package (dist/test/) so that `from 'mtl'` resolves to this package. */
function runSnippet(cwd: string) {
  const dir = fs.mkdtempSync(path.join(root, 'dist/test/readme-'));
  try {
    const file = path.join(dir, 'snippet.mjs');
    fs.writeFileSync(file, readmeSnippet());
    return spawnSync(process.execPath, [file], { cwd, encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the README's embedding snippet", () => {
  it('prints the job of the census program', () => {
    const run = runSnippet(root);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).tasks.length, 2);
  });

  it('prints code frames with the source lines when the program has an error', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-readme-'));
    fs.mkdirSync(path.join(cwd, 'examples/census'), { recursive: true });
    fs.writeFileSync(path.join(cwd, 'examples/census/census.mtl'), 'task t {\n  target: nope,\n  head: binary\n}\n');
    const run = runSnippet(cwd);
    fs.rmSync(cwd, { recursive: true, force: true });
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error\[MTL0105\]: task `t` needs a field `features`\n --> examples\/census\/census\.mtl:1:6\n/);
    assert.match(run.stderr, /\n1 \| task t \{\n {2}\| {6}\^ no `features`\n/);
    assert.match(run.stderr, /\n1 error\n+$/);
  });
});

describe('npm pack', () => {
  it('ships the compiled library, docs and example programs, not tests, benches or data', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout) as { size: number; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'dist/cli/main.js', 'dist/compiler/index.js', 'dist/compiler/index.d.ts', 'dist/runtime/index.js', 'dist/job/index.js', 'docs/language.md', 'docs/job.schema.json', 'examples/census/census.mtl']) {
      assert.ok(files.includes(needed), `${needed} is shipped`);
    }
    assert.deepEqual(files.filter((f) => /^(dist\/)?(test|bench)\/|\.test\.|\.arrow$|\.gz$|\.conllu$|tsbuildinfo/.test(f)), []);
    // The packed tarball is about 0.6 MB; the data alone would be 20 MB.
    assert.ok(info!.size < 2_000_000, `the tarball is ${info!.size} bytes`);
  });
});

describe('start-up', () => {
  // Records every module resolved from a package, by ESM import or CommonJS require.
  const hookDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-hooks-'));
  const log = path.join(hookDir, 'loaded.txt');
  fs.writeFileSync(path.join(hookDir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`);
  fs.writeFileSync(path.join(hookDir, 'register.mjs'), `import { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import Module from 'node:module';
register(${JSON.stringify(pathToFileURL(path.join(hookDir, 'hooks.mjs')).href)});
const load = Module._load;
Module._load = function (request, ...rest) { appendFileSync(${JSON.stringify(log)}, request + '\\n'); return load.call(this, request, ...rest); };`);

  function loadedBy(args: string[]): string[] {
    fs.rmSync(log, { force: true });
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(hookDir, 'register.mjs')).href, 'dist/cli/main.js', ...args], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    return fs.readFileSync(log, 'utf8').split('\n');
  }

  for (const args of [['--help'], ['check', 'examples/census/census.mtl']]) {
    it(`mtl ${args.join(' ')} does not load TensorFlow.js`, () => {
      const loaded = loadedBy(args);
      assert.ok(loaded.some((m) => m.includes('/dist/cli/main.js')), 'the hook saw the CLI load');
      assert.ok(loaded.some((m) => m.includes('commander')), 'the hook saw packages load');
      assert.deepEqual(loaded.filter((m) => m.includes('@tensorflow')), []);
      // The language server is loaded by `mtl lsp` alone.
      assert.deepEqual(loaded.filter((m) => m.includes('vscode-languageserver')), []);
    });
  }

  /** The packages a command loaded: the first directory under node_modules (two for a scoped one) of each module. */
  const packagesLoadedBy = (args: string[]): string[] =>
    [...new Set(loadedBy(args).flatMap((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m)?.[1] ?? []))].sort();

  it('mtl --help loads no package but commander (no parser, no compiler)', () => {
    assert.deepEqual(packagesLoadedBy(['--help']), ['commander']);
  });

  it('mtl check loads the parser, and neither the job schema (TypeBox, ajv) nor the reports (vega)', () => {
    const packages = packagesLoadedBy(['check', 'examples/census/census.mtl']);
    assert.ok(packages.includes('chevrotain'), packages.join(', '));
    assert.deepEqual(packages.filter((p) => ['@sinclair/typebox', 'ajv', 'vega', 'vega-lite', 'fast-glob'].includes(p)), []);
  });

  it('the hook does see TensorFlow.js when the runtime is loaded', () => {
    fs.rmSync(log, { force: true });
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(hookDir, 'register.mjs')).href, '-e', "import('./dist/runtime/index.js')"], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(fs.readFileSync(log, 'utf8').includes('@tensorflow/tfjs'));
  });
});

/**
 * `npm test` after `tsc`: removes compiled files whose TypeScript source is gone (so a moved or deleted test never
 * runs from an old dist/, while tsc stays incremental), then runs node's test runner on the compiled `*.test.js`
 * files only — never on their helper modules. Exits with the runner's status.
 *
 * `node dist/test/run.js [--node-test-flag…] [path-part…]`: flags go to `node --test` (the TAP reporter unless one
 * is given, so the run ends with `# tests`, `# pass` and `# fail` lines); other arguments keep only the test files
 * whose path contains one of them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dist = 'dist';
const compiledSuffixes = ['.d.ts.map', '.d.ts', '.js.map', '.js'];

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : entry.isFile() ? [full] : [];
  });
}

/** The compiled files in dist/ whose source (`dist/a/b.js` ← `a/b.ts`) no longer exists. */
function staleCompiledFiles(): string[] {
  return filesUnder(dist).filter((file) => {
    const suffix = compiledSuffixes.find((s) => file.endsWith(s));
    if (!suffix) return false;
    const source = path.relative(dist, file).slice(0, -suffix.length) + '.ts';
    return !fs.existsSync(source);
  });
}

const stale = staleCompiledFiles();
for (const file of stale) fs.rmSync(file);
if (stale.length) process.stdout.write(`# removed ${stale.length} compiled file${stale.length === 1 ? '' : 's'} whose source is gone\n`);

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const pathParts = args.filter((a) => !a.startsWith('--'));
const testFiles = filesUnder(path.join(dist, 'test'))
  .filter((file) => file.endsWith('.test.js'))
  .filter((file) => pathParts.length === 0 || pathParts.some((part) => file.includes(part)))
  .sort();
if (testFiles.length === 0) {
  process.stderr.write(`error: no compiled test files under ${dist}/test${pathParts.length ? ` matching ${pathParts.join(', ')}` : ''} (run tsc first)\n`);
  process.exit(1);
}

const reporter = flags.some((f) => f.startsWith('--test-reporter')) ? [] : ['--test-reporter=tap'];
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...reporter, ...flags, ...testFiles], { stdio: 'inherit' });
if (run.error) throw run.error;
process.exit(run.status ?? 1);

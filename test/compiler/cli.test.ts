/**
 * The compiler's commands as a user runs them: the built `mtl` (dist/cli/main.js, made by `tsc` before the
 * tests) spawned from the repository root. Exit codes 0 (ok), 1 (program errors), 2 (usage errors); JSON
 * diagnostics; `stdlib`, `render` and `init`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { compileProgram, nodeHost, type Host } from '../../compiler/index.js';
import { constructors } from '../../stdlib/index.js';
import { passNames } from '../../compiler/ir/pipeline.js';
import { signature } from '../../compiler/render/stdlib-listing.js';
import { renderProgram } from '../../compiler/render/render-program.js';
import { dataExists, repoRoot } from './harness.js';

const mtlBin = path.join(repoRoot, 'dist', 'cli', 'main.js');

function mtl(args: string[], cwd = repoRoot): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [mtlBin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const clean = 'test/fixtures/ok/minimal.mtl';
const broken = 'test/fixtures/names/unknown-features.mtl';
const warned = 'test/fixtures/warnings/unused-backbone.mtl';

describe('mtl check', () => {
  it('exits 0 on a clean program and says how many tasks it has', () => {
    const r = mtl(['check', clean]);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', `${clean}: ok (1 task)\n`]);
  });

  it('exits 1 on a program with errors, printing code frames and a count', () => {
    const r = mtl(['check', broken]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error\[MTL0101\]: unknown features `persn`\n {2}--> test\/fixtures\/names\/unknown-features\.mtl:10:27\n/);
    assert.match(r.stderr, /\n {3}= help: did you mean `person`\?\n\n1 error\n$/);
  });

  it('exits 0 with warnings, and shows them', () => {
    const r = mtl(['check', warned]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^warning\[MTL0901\]: backbone `spare` is never used\n/);
    assert.match(r.stderr, /\n1 warning\n.*: ok \(1 task\)\n$/s);
  });

  it('exits 1 on a file that does not exist, in one line', () => {
    const r = mtl(['check', 'no/such/file.mtl']);
    assert.deepEqual([r.status, r.stderr], [1, 'error: cannot read no/such/file.mtl: no such file\n']);
  });

  it('honours --max-errors', () => {
    const r = mtl(['check', 'test/fixtures/limits/too-many-errors.mtl', '--max-errors', '1', '--format', 'json']);
    assert.equal(r.status, 1);
    const codes = (JSON.parse(r.stdout) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code);
    assert.deepEqual(codes, ['MTL0101', 'MTL0005']);
  });
});

describe('golden code frames', () => {
  // The fixture test compares each fixture's `.frames.txt` with the renderer; these check that the renderer's text is
  // what `mtl check` prints, for one fixture of each kind (directives passed as the flags they stand for).
  const sample: [string, string[]][] = [
    ['test/fixtures/ok/minimal.mtl', []],
    ['test/fixtures/columns/duplicate-column.mtl', []],
    ['test/fixtures/parsing/unclosed-brace-before-declaration.mtl', []],
    ['test/fixtures/warnings/share-of-one-task.mtl', []],
    ['test/fixtures/imports/error-in-imported-file.mtl', []],
    ['test/fixtures/limits/too-many-errors.mtl', ['--max-errors', '3']],
  ];
  for (const [fixture, flags] of sample) {
    it(`are what mtl check prints for ${fixture}`, () => {
      const r = mtl(['check', fixture, ...flags]);
      assert.equal(r.stderr, fs.readFileSync(fixture.replace(/\.mtl$/, '.frames.txt'), 'utf8'));
    });
  }
});

describe('usage errors exit 2', () => {
  for (const args of [['frobnicate'], ['check'], ['check', clean, '--format', 'xml'], ['compile', clean, '--emit', 'exe'], ['compile', clean, '--dump-after', 'no-such-pass']]) {
    it(`mtl ${args.join(' ')}`, () => {
      const r = mtl(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^error: /);
      assert.equal(r.stdout, '');
    });
  }
});

describe('--format json', () => {
  it('prints { diagnostics } on stdout with spans as offsets and 1-based lines and columns', () => {
    const r = mtl(['check', broken, '--format', 'json']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, '');
    const text = fs.readFileSync(broken, 'utf8');
    const at = text.indexOf('persn');
    assert.deepEqual(JSON.parse(r.stdout), {
      diagnostics: [{
        code: 'MTL0101',
        severity: 'error',
        message: 'unknown features `persn`',
        primary: { file: broken, start: { offset: at, line: 10, column: 27 }, end: { offset: at + 5, line: 10, column: 32 }, label: 'not declared' },
        secondary: [],
        help: 'did you mean `person`?',
      }],
    });
  });

  it('prints an empty list for a clean program, and nothing on stderr', () => {
    const r = mtl(['check', clean, '--format', 'json']);
    assert.deepEqual([r.status, JSON.parse(r.stdout), r.stderr], [0, { diagnostics: [] }, '']);
  });
});

describe('mtl compile', () => {
  it('writes the same job as the API', () => {
    const r = mtl(['compile', clean, '--verify-ir']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(compileProgram({ file: clean }).job)));
  });

  it('writes the IR after a pass with --dump-after', () => {
    const r = mtl(['compile', 'test/fixtures/ok/depth-in-hard-share.mtl', '--dump-after', 'eliminate-dead-nodes']);
    assert.equal(r.status, 0, r.stderr);
    const layers = (JSON.parse(r.stdout) as { nodes: { v: string; value: { tasks?: string[]; shape?: unknown } }[] }).nodes.filter((n) => n.v.startsWith('layer:'));
    // One layer for the three tasks of the share; no shapes yet: infer-shapes runs later.
    assert.deepEqual(layers.map((n) => [n.v, n.value.tasks, n.value.shape]), [['layer:both/0', ['early', 'hours_left', 'positive'], null]]);
  });

  it('prints a line per phase and pass with --time-phases, on standard error, and still writes the job', () => {
    const r = mtl(['compile', clean, '--time-phases']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).format, 'mtl-job');
    const phases = r.stderr.trim().split('\n').map((line) => line.split(/\s{2,}/)[0]);
    assert.deepEqual(phases, ['parse', 'check', 'build IR', ...passNames(), 'lower', 'total']);
    assert.match(r.stderr, /^total\s+\d+\.\d ms  100%$/m);
  });

  it('accepts --allow-unrunnable, and a program the runtime runs compiles to the same job with it', () => {
    const r = mtl(['compile', clean, '--allow-unrunnable']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(compileProgram({ file: clean }).job)));
  });
});

describe('mtl stdlib', () => {
  it('lists every constructor with its signature and doc', () => {
    const r = mtl(['stdlib']);
    assert.equal(r.status, 0);
    for (const c of constructors) assert.ok(r.stdout.includes(signature(c)) && r.stdout.includes(c.doc), `${c.category} ${c.name}`);
  });

  it('marks what this version does not run, from the entries\' own flag, and nothing else', () => {
    const r = mtl(['stdlib']);
    const lines = r.stdout.split('\n');
    for (const c of constructors) {
      const line = lines.find((l) => l.startsWith(`  ${signature(c)}`))!;
      assert.equal(line.includes('[does not run in this version'), !c.runs, line);
      if (!c.runs) assert.ok(line.endsWith(`[does not run in this version: ${c.notRun}]`), line);
    }
    assert.match(r.stdout, /batch_size: int = 256 +rows per batch \(between 1 and 1000000\)/);
  });

  it('as JSON, has every constructor once', () => {
    const r = mtl(['stdlib', '--format', 'json']);
    const json = JSON.parse(r.stdout) as { constructors: { name: string; category: string; runs: boolean; notRun?: string }[] };
    assert.deepEqual(json.constructors.map((c) => `${c.category}:${c.name}`), constructors.map((c) => `${c.category}:${c.name}`));
    assert.deepEqual(json.constructors.map((c) => [c.runs, c.notRun ?? null]), constructors.map((c) => [c.runs, c.runs ? null : c.notRun]));
  });
});

describe('mtl render', () => {
  const programs = ['examples/census/census.mtl', 'examples/census/census-cross-stitch.mtl', 'test/fixtures/ok/scheduled-sampling.mtl', 'test/fixtures/imports/import-with-alias.mtl'];
  for (const file of programs) {
    it(`writes ${file} out in full, and the result checks and compiles to the same job`, () => {
      const r = mtl(['render', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^\/\/ .*, with every default written out by `mtl render`\n/);
      // Checked as if it stood beside the original, so its relative paths and imports mean the same.
      const rendered = path.join(path.dirname(file), `rendered-${path.basename(file)}`);
      const again = compileProgram({ file: rendered, text: r.stdout, host: dataExists }, { verifyIr: true });
      assert.deepEqual(again.diagnostics.map((d) => d.message), []);
      const original = compileProgram({ file, host: dataExists });
      const comparable = (job: unknown) => JSON.stringify({ ...(job as object), source: null });
      assert.equal(comparable(again.job), comparable(original.job));
    });
  }

  // What this version does not run is an error of `mtl check`, so `mtl render` refuses it too (until the CLI has a
  // flag for the compile option); the library renders it with `allowUnrunnable`, and the result means the same. The
  // UD example runs, and says what its aggregation costs (an info), so it is rendered here too.
  for (const file of ['examples/ud/ud.mtl', 'test/fixtures/ok/sequences-and-images.mtl']) {
    it(`renders ${file} through the library with allowUnrunnable, to a program that compiles to the same job`, () => {
      const options = { allowUnrunnable: true };
      const original = compileProgram({ file, host: dataExists }, options);
      assert.ok(original.checked && original.job);
      const rendered = path.join(path.dirname(file), `rendered-${path.basename(file)}`);
      const again = compileProgram({ file: rendered, text: renderProgram(original.checked), host: dataExists }, { ...options, verifyIr: true });
      assert.deepEqual(again.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
      const comparable = (job: unknown) => JSON.stringify({ ...(job as object), source: null });
      assert.equal(comparable(again.job), comparable(original.job));
    });
  }

  it('exits 1 on a program with errors, writing nothing', () => {
    const r = mtl(['render', broken]);
    assert.deepEqual([r.status, r.stdout], [1, '']);
  });
});

describe('mtl init', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-init-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a starter program that checks once its data file exists', () => {
    const r = mtl(['init', 'model.mtl'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^wrote model\.mtl/);
    const before = mtl(['check', 'model.mtl', '--format', 'json'], dir);
    assert.equal(before.status, 1);
    assert.deepEqual((JSON.parse(before.stdout) as { diagnostics: { code: string; message: string }[] }).diagnostics.map((d) => [d.code, d.message]), [['MTL0204', 'no file matches `data/rows.arrow`']]);
    fs.mkdirSync(path.join(dir, 'data'));
    fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'data', 'tiny.arrow'), path.join(dir, 'data', 'rows.arrow'));
    const other = mtl(['check', 'model.mtl', '--format', 'json'], dir);
    assert.deepEqual((JSON.parse(other.stdout) as { diagnostics: { code: string; message: string }[] }).diagnostics.map((d) => [d.code, d.message]),
      ['x1', 'x2', 'score'].map((c) => ['MTL0213', `column \`${c}\` is not in \`data/rows.arrow\``]));
    const rows = tableFromArrays({ x1: new Float64Array([1, 2]), x2: new Float64Array([3, 4]), color: ['red', 'blue'], label: new Int32Array([0, 1]), score: new Float64Array([0.5, 1.5]) });
    fs.writeFileSync(path.join(dir, 'data', 'rows.arrow'), tableToIPC(rows, 'file'));
    const after = mtl(['check', 'model.mtl'], dir);
    assert.deepEqual([after.status, after.stderr], [0, 'model.mtl: ok (2 tasks)\n']);
  });

  it('refuses to overwrite a file', () => {
    const r = mtl(['init', 'model.mtl'], dir);
    assert.deepEqual([r.status, r.stderr], [1, 'error: model.mtl already exists; choose another name\n']);
  });
});

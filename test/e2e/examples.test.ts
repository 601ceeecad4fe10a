/** Every example checks without errors, compiles to a job that validates against the schema, and `mtl graph` draws it. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
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

describe('examples', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-examples-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('are all found', () => {
    assert.ok(all.length >= 6, all.join(', '));
  });

  for (const file of all) {
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

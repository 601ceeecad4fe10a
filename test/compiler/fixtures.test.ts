/**
 * The golden diagnostics corpus: every `test/fixtures/<area>/<behaviour>.mtl` is compiled through the public API (with
 * the IR verified after every pass), and its diagnostics must be exactly the ones its inline annotations expect, no
 * more and no fewer. A fixture that expects no error must compile to a job that validates against the job schema.
 * Files whose name starts with `_` are only imported by other fixtures; `data/` holds the data they read. Beside each
 * fixture, `name.frames.txt` holds the full text `mtl check` renders for it (rustc's `.stderr` files), compared whole.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, fixtureFiles, framesPath, renderedCheck, runFixture } from './fixture-runner.js';

describe('fixture corpus', () => {
  const files = fixtureFiles();

  it('is where the README says, and large', () => {
    assert.ok(fs.existsSync(path.join(FIXTURES, 'README.md')));
    assert.ok(files.length >= 60, `${files.length} fixtures`);
  });

  for (const file of files) {
    it(path.relative(FIXTURES, file), () => {
      const { problems, compilation } = runFixture(file);
      assert.deepEqual(problems, []);
      const golden = framesPath(file);
      assert.ok(fs.existsSync(golden), `${golden} is missing: write it with \`npx tsx test/compiler/bless.ts --write ${file}\``);
      assert.equal(renderedCheck(compilation, file), fs.readFileSync(golden, 'utf8'), `${golden} differs from what \`mtl check\` renders now`);
    });
  }
});

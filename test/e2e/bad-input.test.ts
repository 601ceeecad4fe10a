/**
 * Bad input through the CLI: a clear one-paragraph error, a non-zero exit, no stack trace, and no run
 * directory that looks complete. (Each kind of bad data is covered in detail by test/runtime/data.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { mtl, looksLikeUserError } from './cli.js';

const program = (files: string, columns = 'x: float, y: float') => `
dataset d { files: "${files}", columns: { ${columns} }, split: ratio(train: 0.6, valid: 0.2, test: 0.2, seed: 1) }
features f { dataset: d, transforms: [standardize(x)] }
task t { features: f, target: y > 0, head: binary }
train { epochs: 1 }
`;

describe('bad input through mtl run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-bad-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runIn = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, `${name}.mtl`), text);
    return mtl(['run', path.join(dir, `${name}.mtl`), '--out', path.join(dir, `${name}-run`), '--backend', 'cpu', '--no-progress'], { timeoutMs: 60_000 });
  };

  it('a file that is not Arrow', () => {
    fs.writeFileSync(path.join(dir, 'table.arrow'), 'x,y\n1,2\n');
    const result = runIn('not-arrow', program('table.arrow'));
    assert.equal(result.status, 1);
    assert.ok(looksLikeUserError(result.stderr), result.stderr);
    assert.match(result.stderr, /table\.arrow is not an Arrow IPC file/);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('not-arrow-run')), [], 'no run directory left behind');
  });

  it('a missing file is a compile error with its line', () => {
    const result = runIn('missing', program('nowhere.arrow'));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /error\[MTL0204\]: no file matches `nowhere\.arrow`/);
    assert.match(result.stderr, /missing\.mtl:2:/);
  });

  it('a CSV converted with mtl data import, missing a declared column: a compile error at the column, from the file\'s schema', () => {
    fs.writeFileSync(path.join(dir, 'rows.csv'), 'x,z\n1,2\n2,3\n3,4\n4,5\n5,6\n');
    const imported = mtl(['data', 'import', path.join(dir, 'rows.csv'), '-o', path.join(dir, 'rows.arrow')]);
    assert.equal(imported.status, 0, imported.stderr);
    const result = runIn('no-column', program('rows.arrow'));
    assert.equal(result.status, 1);
    assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    assert.match(result.stderr, /error\[MTL0213\]: column `y` is not in `rows\.arrow`/);
    assert.match(result.stderr, /no-column\.mtl:2:/);
  });

  it('a directory or a named pipe among the files is refused by the compiler, at the program, before anything is opened', () => {
    fs.mkdirSync(path.join(dir, 'shard.arrow'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.arrow')]);
    for (const name of ['shard', 'pipe']) {
      const run = runIn(name, program(`${name}.arrow`));
      assert.equal(run.status, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
      assert.match(run.stderr, new RegExp(`error\\[MTL0204\\]: no file matches \`${name}\\.arrow\``));
      assert.match(run.stderr, new RegExp(`${name}\\.mtl:2:`));
      assert.match(run.stderr, /only regular files are data \(not a directory, device or named pipe\)/);
    }
  });

  it('a usage error exits 2', () => {
    const result = mtl(['run']);
    assert.equal(result.status, 2);
  });
});

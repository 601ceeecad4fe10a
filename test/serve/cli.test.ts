/**
 * `mtl serve` as a user runs it: one startup line with the URL and the models, answers on loopback, finishes a
 * request in flight when sent SIGTERM and exits 0; a bad flag is a usage error (exit 2) and a directory that is no
 * package an error naming it (exit 1), neither with a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportModel } from '../../runtime/export/export.js';
import { looksLikeUserError, mtl, mtlBin } from '../e2e/cli.js';
import { useCpu } from '../runtime/helpers/tf.js';
import { trainServedRun } from '../runtime/helpers/served-run.js';

describe('mtl serve (command line)', () => {
  let dir = '';
  let pkg = '';
  before(async () => {
    await useCpu();
    dir = mkdtempSync(join(tmpdir(), 'mtl-serve-cli-'));
    pkg = join(dir, 'package');
    await exportModel(await trainServedRun(dir), pkg, { name: 'served' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says where it listens, serves, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    // A 300 ms batch window keeps the request in flight when the signal comes.
    const child = spawn(process.execPath, [mtlBin, 'serve', pkg, '--port', '0', '--backend', 'cpu', '--batch-window-ms', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!/listening on/.test(stderr)) {
      if (child.exitCode !== null) assert.fail(`mtl serve exited: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const line = stderr.split('\n').find((l) => l.includes('listening on'))!;
    assert.match(line, /^mtl serve: listening on http:\/\/127\.0\.0\.1:\d+ with served \(\d{8}T\d{9}Z-[0-9a-f]{12}, active\); status page at http:\/\/127\.0\.0\.1:\d+\/$/);
    const url = /listening on (\S+)/.exec(line)![1]!;
    const pending = fetch(`${url}/v1/models/served:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: [{ age: 40, hours: 38, color: 'red' }], tasks: ['flagged'] }) });
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const response = await pending;
    assert.equal(response.status, 200);
    const body = (await response.json()) as { predictions: { flagged: { probability: number } }[] };
    assert.equal(typeof body.predictions[0]!.flagged.probability, 'number');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /mtl serve: SIGTERM: finishing the requests in flight/);
  });

  it('refuses a bad flag and a directory that is not a package, in words', () => {
    const badPort = mtl(['serve', pkg, '--port', 'eighty']);
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /^error: --port is a whole number from 0 to 65535, not "eighty"$/m);
    assert.ok(looksLikeUserError(badPort.stderr), badPort.stderr);
    const notPackage = mtl(['serve', dir, '--port', '0']);
    assert.equal(notPackage.status, 1);
    assert.match(notPackage.stderr, /is neither a model package \(no manifest\.json, from `mtl export`\) nor a run directory/);
    assert.ok(looksLikeUserError(notPackage.stderr), notPackage.stderr);
  });
});

/**
 * The checkpoint file: what goes in comes back exactly (float32 arrays, doubles, non-finite numbers), a damaged or cut
 * file is refused rather than half-read, and rotation keeps the newest checkpoints and the best epoch's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readCheckpoint, writeCheckpoint } from '../../runtime/checkpoint/file.js';
import { checkpointWriter, latestCheckpoint } from '../../runtime/checkpoint/store.js';
import { Random } from '../../runtime/random.js';

describe('checkpoint files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-checkpoint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back exactly what was written', () => {
    const state = {
      weights: { 'trunk/0/kernel': Float32Array.of(1.5, -2.25e-30, 3.4e38), empty: new Float32Array(0) },
      numbers: [0.1 + 0.2, -0, 1e-310, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      nested: [{ a: null, b: true, c: 'text', d: Float32Array.of(7) }],
    };
    const file = join(dir, 'a.ckpt');
    const bytes = writeCheckpoint(file, state);
    assert.equal(bytes, readFileSync(file).length);
    const back = readCheckpoint(file).state as typeof state;
    assert.deepEqual(back, { ...state, numbers: [0.1 + 0.2, 0, 1e-310, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] });
    assert.ok(back.weights['trunk/0/kernel'] instanceof Float32Array);
    assert.deepEqual([...back.weights['trunk/0/kernel']], [1.5, Math.fround(-2.25e-30), Math.fround(3.4e38)]);
    assert.equal(back.numbers[0], 0.30000000000000004, 'doubles are kept to the last bit');
    assert.deepEqual(readdirSync(dir), ['a.ckpt'], 'no temporary file left');
  });

  it('refuses a damaged or cut file', () => {
    const file = join(dir, 'b.ckpt');
    writeCheckpoint(file, { values: Float32Array.of(1, 2, 3) });
    const bytes = readFileSync(file);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1]! ^= 1;
    writeFileSync(join(dir, 'flipped.ckpt'), flipped);
    assert.throws(() => readCheckpoint(join(dir, 'flipped.ckpt')), /flipped\.ckpt is damaged \(its checksum does not match\)/);
    writeFileSync(join(dir, 'cut.ckpt'), bytes.subarray(0, 20));
    assert.throws(() => readCheckpoint(join(dir, 'cut.ckpt')), /cut\.ckpt is cut short/);
    writeFileSync(join(dir, 'other.ckpt'), 'not a checkpoint');
    assert.throws(() => readCheckpoint(join(dir, 'other.ckpt')), /other\.ckpt is not an mtl checkpoint/);
  });

  it('keeps the newest `keep` and the best epoch\'s; a resume takes the newest whole one', () => {
    const run = join(dir, 'run');
    const writer = checkpointWriter(run, 2);
    const names = () => readdirSync(join(run, 'checkpoints')).sort();
    writer.write({ step: 5 }, 5, null, null);
    writer.write({ step: 10 }, 10, 1, 1);
    writer.write({ step: 15 }, 15, null, 1);
    writer.write({ step: 20 }, 20, 2, 1);
    // epoch 1 stays, the best; step 5 goes
    assert.deepEqual(names(), ['step-000000010-epoch-1.ckpt', 'step-000000015.ckpt', 'step-000000020-epoch-2.ckpt']);
    writer.write({ step: 30 }, 30, 3, 3);
    assert.deepEqual(names(), ['step-000000020-epoch-2.ckpt', 'step-000000030-epoch-3.ckpt']);
    assert.deepEqual(latestCheckpoint(run)?.checkpoint.state, { step: 30 });
    // the newest damaged: the one before is taken, and the damage reported
    writeFileSync(join(run, 'checkpoints', 'step-000000030-epoch-3.ckpt'), 'torn');
    const latest = latestCheckpoint(run)!;
    assert.deepEqual(latest.checkpoint.state, { step: 20 });
    assert.equal(latest.skipped.length, 1);
    // a temporary file of an interrupted write is ignored, and removed by the next writer
    writeFileSync(join(run, 'checkpoints', 'step-000000040.ckpt.tmp-1'), 'half');
    assert.deepEqual(latestCheckpoint(run)!.checkpoint.state, { step: 20 });
    checkpointWriter(run, 2);
    assert.ok(!names().some((f) => f.includes('.tmp-')));
  });

  it('a random stream restored from its state continues the same numbers', () => {
    const a = new Random(9).fork('x');
    for (let i = 0; i < 5; i++) a.uint32();
    const b = new Random(9).fork('x');
    b.restore(a.state());
    assert.deepEqual(Array.from({ length: 4 }, () => b.uint32()), Array.from({ length: 4 }, () => a.uint32()));
  });
});

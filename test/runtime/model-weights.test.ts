import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../runtime/errors.js';
import { buildModel } from '../../runtime/model/build.js';
import { loadWeights, saveWeights } from '../../runtime/model/weights.js';
import { denseModule, makeJob, task, vectorInput } from './helpers/jobs.js';
import { useCpu, weightsOf } from './helpers/tf.js';

const job = (hidden: number) =>
  makeJob({ inputs: [vectorInput('x', 'd', 3)], modules: [denseModule('trunk', 'x', [hidden], ['a'])], tasks: [task('a', 'binary')] });

describe('saved weights', () => {
  before(useCpu);

  it('round-trip by name through the tfjs weights-manifest format', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'mtl-weights-'));
    const saved = buildModel(job(4), (w) => w as number, 1);
    await saveWeights(saved, directory);
    const specs = JSON.parse(readFileSync(join(directory, 'weights.json'), 'utf8'))[0].weights;
    const decoded = tf.io.decodeWeights(new Uint8Array(readFileSync(join(directory, 'weights.bin'))).buffer, specs);
    assert.deepEqual(Array.from(decoded['trunk/0/kernel']!.dataSync()), weightsOf(saved)['trunk/0/kernel']);
    Object.values(decoded).forEach((t) => t.dispose());

    const loaded = buildModel(job(4), (w) => w as number, 2);
    await loadWeights(loaded, directory);
    assert.deepEqual(weightsOf(loaded), weightsOf(saved));

    const other = buildModel(job(5), (w) => w as number, 1);
    await assert.rejects(loadWeights(other, directory), (e: unknown) => e instanceof UserError && /trunk\/0\/kernel has shape \[3, 4\], the model needs \[3, 5\]/.test(e.message));
    [saved, loaded, other].forEach((m) => m.dispose());
    rmSync(directory, { recursive: true });
  });

  it('says a truncated weights.bin is truncated, before tfjs reads past its end', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'mtl-weights-'));
    const saved = buildModel(job(4), (w) => w as number, 1);
    await saveWeights(saved, directory);
    const file = join(directory, 'weights.bin');
    const size = readFileSync(file).byteLength;
    truncateSync(file, 10);
    await assert.rejects(loadWeights(saved, directory), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, `${file} is truncated: it holds 10 bytes, but weights.json describes ${size}`);
      return true;
    });
    saved.dispose();
    rmSync(directory, { recursive: true });
  });
});

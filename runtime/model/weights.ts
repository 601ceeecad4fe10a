/**
 * Saved weights in TensorFlow.js's own format: `weights.bin` (the float32 values back to back) and
 * `weights.json`, a weights manifest (`[{ paths: ['weights.bin'], weights: [{ name, shape, dtype }] }]`)
 * that tf.io.loadWeights reads too. Names are the model's stable parameter names (`trunk/0/kernel`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import type { ModelJob } from './model-job.js';
import type { MtlModel } from './types.js';

export const WEIGHTS_FILE = 'weights.bin';
export const MANIFEST_FILE = 'weights.json';

export async function saveWeights(model: MtlModel<ModelJob>, directory: string): Promise<void> {
  await saveNamedWeights(model.params.map((p) => ({ name: p.name, tensor: p.variable })), directory);
}

/** Named tensors as saved weights, in the given order (what a merged model's weights are: export/merge-lora.ts). */
export async function saveNamedWeights(named: readonly { name: string; tensor: tf.Tensor }[], directory: string): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(named.map(({ name, tensor }) => ({ name, tensor })));
  const manifest: tf.io.WeightsManifestConfig = [{ paths: [WEIGHTS_FILE], weights: specs }];
  await writeFile(join(directory, WEIGHTS_FILE), new Uint8Array(data));
  await writeFile(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** Loads saved weights into `model`; every parameter must be there with its shape, and nothing else. */
export async function loadWeights(model: MtlModel<ModelJob>, directory: string): Promise<void> {
  const named = await readSavedWeights(directory);
  try {
    const expected = new Set(model.params.map((p) => p.name));
    const problems: string[] = [];
    for (const param of model.params) {
      const saved = named[param.name];
      if (!saved) problems.push(`${param.name} is missing`);
      else if (!tf.util.arraysEqual(saved.shape, param.variable.shape)) {
        problems.push(`${param.name} has shape [${saved.shape.join(', ')}], the model needs [${param.variable.shape.join(', ')}]`);
      }
    }
    for (const name of Object.keys(named)) if (!expected.has(name)) problems.push(`${name} is not a parameter of this job's model`);
    if (problems.length > 0) {
      throw new UserError(`the weights in ${directory} do not fit the job's model:\n  ${problems.join('\n  ')}`);
    }
    for (const param of model.params) param.variable.assign(named[param.name]!);
  } finally {
    Object.values(named).forEach((t) => t.dispose());
  }
}

/** The weights saved in `directory`, by name, checked against their manifest; the caller disposes them. */
export async function readSavedWeights(directory: string): Promise<tf.NamedTensorMap> {
  let manifest: tf.io.WeightsManifestConfig;
  try {
    manifest = JSON.parse(await readRunFile(directory, MANIFEST_FILE, 'utf8')) as tf.io.WeightsManifestConfig;
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserError(`${join(directory, MANIFEST_FILE)} is not valid JSON (${e.message})`);
    throw e;
  }
  const group = Array.isArray(manifest) ? manifest[0] : undefined;
  if (manifest.length !== 1 || !group || !Array.isArray(group.paths) || group.paths.length !== 1 || !Array.isArray(group.weights)) {
    throw new UserError(`${join(directory, MANIFEST_FILE)} is not a weights manifest written by mtl (one group, one file)`);
  }
  const bytes = await readRunFile(directory, group.paths[0]!);
  // tfjs decodes past the end of a short buffer and fails with an assertion deep inside; the sizes are checked first.
  const expectedBytes = manifestBytes(group.weights, join(directory, MANIFEST_FILE));
  if (bytes.byteLength !== expectedBytes) {
    const state = bytes.byteLength < expectedBytes ? 'truncated' : 'longer than its manifest says';
    throw new UserError(`${join(directory, group.paths[0]!)} is ${state}: it holds ${bytes.byteLength} bytes, but ${MANIFEST_FILE} describes ${expectedBytes}`);
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return tf.io.decodeWeights(buffer, group.weights);
}

const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** The byte length of the weights a manifest group describes; a UserError for an entry mtl does not write. */
function manifestBytes(weights: readonly tf.io.WeightsManifestEntry[], manifest: string): number {
  let total = 0;
  for (const entry of weights) {
    const size = DTYPE_BYTES[entry.dtype];
    if (size === undefined || entry.quantization || !Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new UserError(`${manifest}: weight ${String(entry.name)} has a dtype, shape or quantization mtl does not write`);
    }
    total += size * entry.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

async function readRunFile(directory: string, name: string): Promise<Buffer>;
async function readRunFile(directory: string, name: string, encoding: 'utf8'): Promise<string>;
async function readRunFile(directory: string, name: string, encoding?: 'utf8'): Promise<Buffer | string> {
  try {
    return encoding ? await readFile(join(directory, name), encoding) : await readFile(join(directory, name));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${join(directory, name)} does not exist: is ${directory} a run directory?` : `${join(directory, name)} cannot be read (${(e as Error).message})`);
  }
}

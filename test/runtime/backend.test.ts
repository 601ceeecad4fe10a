import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../runtime/errors.js';
import {
  activateFirst,
  type BackendCandidate,
  CPU_CANDIDATE,
  nativeCandidate,
  selectBackend,
  wasmBinaryDirectory,
} from '../../runtime/backend.js';
import { isWasmMatMulFixInstalled } from '../../runtime/kernels/wasm-matmul.js';
import { existsSync } from 'node:fs';
import path from 'node:path';

function installed(packageName: string): boolean {
  try {
    createRequire(import.meta.url).resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

const ABSENT = '@mtl-test/absent-native-backend';

test('a missing package falls back to the next candidate and the reason says so', async () => {
  const choice = await activateFirst([nativeCandidate(ABSENT, 'native TensorFlow'), CPU_CANDIDATE], null);
  assert.equal(choice.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.match(choice.reason, /fastest available \(@mtl-test\/absent-native-backend is not installed\)/);
});

test('a requested backend whose package is missing is a UserError naming what to install', async () => {
  await assert.rejects(activateFirst([nativeCandidate(ABSENT, 'native TensorFlow')], 'node'), (error) => {
    assert.ok(isUserError(error));
    assert.equal(error.message, `the backend 'node' needs ${ABSENT}: run npm install ${ABSENT}`);
    return true;
  });
});

test('a package that is present but broken is reported with its error, not as missing', async () => {
  const broken: BackendCandidate = {
    packageName: '@mtl-test/broken',
    backendName: 'tensorflow',
    activate: async () => {
      throw new Error('libtensorflow.so: cannot open shared object file');
    },
  };
  const fallback = await activateFirst([broken, CPU_CANDIDATE], null);
  assert.match(fallback.reason, /@mtl-test\/broken failed to load: libtensorflow\.so/);
  await assert.rejects(activateFirst([broken], 'node'), (error) => {
    assert.ok(isUserError(error));
    assert.match(error.message, /^the backend 'node' could not start: @mtl-test\/broken failed to load: libtensorflow/);
    return true;
  });
});

test('requesting node or node-gpu without the package names the real package', async (t) => {
  for (const [request, packageName] of [
    ['node', '@tensorflow/tfjs-node'],
    ['node-gpu', '@tensorflow/tfjs-node-gpu'],
  ] as const) {
    if (installed(packageName)) {
      t.diagnostic(`${packageName} is installed; skipping its missing-package check`);
      continue;
    }
    await assert.rejects(selectBackend(request), (error) => {
      assert.ok(isUserError(error));
      assert.equal(error.message, `the backend '${request}' needs ${packageName}: run npm install ${packageName}`);
      return true;
    });
  }
  if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) {
    await assert.rejects(selectBackend('tensorflow'), /needs @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node: run npm install @tensorflow\/tfjs-node$/);
  }
});

test('an unknown backend name is a UserError listing the choices', async () => {
  await assert.rejects(selectBackend('webgpu'), (error) => {
    assert.ok(isUserError(error));
    assert.match(error.message, /unknown backend 'webgpu': expected one of 'tensorflow', 'node-gpu', 'node', 'wasm', 'cpu'/);
    return true;
  });
});

test('automatic selection takes the fastest that loads and explains what it skipped', async () => {
  const choice = await selectBackend();
  assert.equal(tf.getBackend(), choice.name);
  if (installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node')) {
    assert.equal(choice.name, 'tensorflow');
  } else {
    assert.equal(choice.name, 'wasm');
    assert.match(choice.reason, /@tensorflow\/tfjs-node is not installed/);
    assert.match(choice.reason, /matmul fix on/);
  }
});

test('wasm loads its binaries from the package directory and installs the matmul fix unless told not to', async () => {
  assert.ok(existsSync(path.join(wasmBinaryDirectory(), 'tfjs-backend-wasm-simd.wasm')));
  const fixed = await selectBackend('wasm');
  assert.equal(fixed.name, 'wasm');
  assert.match(fixed.reason, /^requested; @tensorflow\/tfjs-backend-wasm/);
  assert.ok(isWasmMatMulFixInstalled());
  const stock = await selectBackend('wasm', { matmulFix: false });
  assert.match(stock.reason, /matmul fix off/);
  assert.equal(isWasmMatMulFixInstalled(), false);
  // Computing works either way.
  assert.deepEqual(Array.from(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()), [3, 3, 3, 3]);
});

test('cpu can be requested explicitly', async () => {
  const choice = await selectBackend('cpu');
  assert.equal(choice.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
});

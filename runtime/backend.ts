/**
 * Picks the TensorFlow.js backend the runtime computes on, and says why, so the CLI can report it.
 *
 * Without a request it takes the fastest that loads: native TensorFlow with CUDA
 * (@tensorflow/tfjs-node-gpu), native TensorFlow on the CPU (@tensorflow/tfjs-node), WebAssembly
 * (@tensorflow/tfjs-backend-wasm), then plain JavaScript ('cpu'). The native packages are optional
 * dependencies, loaded by dynamic import so a missing one is a fallback, not a crash. A backend the
 * user asks for by name must load, or selection fails with a UserError saying what to install.
 *
 * Nothing else in the runtime depends on which backend runs; on wasm the matmul fix
 * (kernels/wasm-matmul.ts) is installed by default so training there is not 5-10x slower, and our
 * Conv2DBackpropFilter (kernels/wasm-conv2d-filter.ts), which the wasm package lacks, always.
 *
 * Threads: tfjs-backend-wasm disables its threaded build under Node (WASM_HAS_MULTITHREAD_SUPPORT is
 * false; forcing it fails with ERR_WORKER_PATH because the pthread worker is a blob: URL), and the
 * single-threaded SIMD build ignores setThreadsCount. Measured here: identical matmul throughput
 * with 1 and 2 threads requested. So no thread option is offered.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from './errors.js';
import { installWasmConv2DFilterGradient } from './kernels/wasm-conv2d-filter.js';
import { installWasmMatMulFix, uninstallWasmMatMulFix } from './kernels/wasm-matmul.js';
import { installWasmSegmentSum } from './kernels/wasm-segment-sum.js';

/** What a user may ask for: 'tensorflow' takes whichever native package is installed. */
export type BackendRequest = 'tensorflow' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['tensorflow', 'node-gpu', 'node', 'wasm', 'cpu'];

export interface BackendChoice {
  /** The tfjs backend now active: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Why this one, in words for the CLI: the package that provides it and what was skipped. */
  reason: string;
}

export interface BackendOptions {
  /** On wasm, replace the slow transposed/batched matmul kernels (default true; false runs stock). */
  matmulFix?: boolean;
}

/** One way to get a backend; `packageName` is what to npm install when it is missing. */
export interface BackendCandidate {
  packageName: string;
  /** The tfjs backend it activates. */
  backendName: string;
  /** Makes the backend active and describes it; throws when its package is missing or broken. */
  activate(options: BackendOptions): Promise<string>;
}

type Attempt = { ok: true; detail: string } | { ok: false; missing: boolean; problem: string };

/** A backend from a native TensorFlow binding package, which registers itself as 'tensorflow' on import. */
export function nativeCandidate(packageName: string, description: string): BackendCandidate {
  return {
    packageName,
    backendName: 'tensorflow',
    activate: () => activateNative(packageName, description),
  };
}

const NODE_GPU = nativeCandidate('@tensorflow/tfjs-node-gpu', 'native TensorFlow with CUDA');
const NODE = nativeCandidate('@tensorflow/tfjs-node', 'native TensorFlow');

const WASM: BackendCandidate = {
  packageName: '@tensorflow/tfjs-backend-wasm',
  backendName: 'wasm',
  activate: activateWasm,
};

export const CPU_CANDIDATE: BackendCandidate = {
  packageName: '@tensorflow/tfjs',
  backendName: 'cpu',
  activate: activateCpu,
};

/** Fastest first. */
const AUTOMATIC_ORDER: readonly BackendCandidate[] = [NODE_GPU, NODE, WASM, CPU_CANDIDATE];

const CANDIDATES_FOR_REQUEST: Record<BackendRequest, readonly BackendCandidate[]> = {
  tensorflow: [NODE_GPU, NODE],
  'node-gpu': [NODE_GPU],
  node: [NODE],
  wasm: [WASM],
  cpu: [CPU_CANDIDATE],
};

/**
 * Activates a backend and returns which and why. `requested` is a BackendRequest or undefined
 * for the fastest that loads; an unknown name or a requested backend that cannot load is a UserError.
 */
export async function selectBackend(requested?: string, options: BackendOptions = {}): Promise<BackendChoice> {
  if (requested === undefined) return activateFirst(AUTOMATIC_ORDER, null, options);
  if (!isBackendRequest(requested)) {
    throw new UserError(
      `unknown backend '${requested}': expected one of ${BACKEND_REQUESTS.map((r) => `'${r}'`).join(', ')}`,
    );
  }
  return activateFirst(CANDIDATES_FOR_REQUEST[requested], requested, options);
}

export function isBackendRequest(name: string): name is BackendRequest {
  return (BACKEND_REQUESTS as readonly string[]).includes(name);
}

/**
 * Tries `candidates` in order and keeps the first that activates. With `requested` null (automatic)
 * a failure is a fallback, reported in the reason; with a request, all failing is a UserError.
 */
export async function activateFirst(
  candidates: readonly BackendCandidate[],
  requested: string | null,
  options: BackendOptions = {},
): Promise<BackendChoice> {
  const failures: { candidate: BackendCandidate; attempt: Extract<Attempt, { ok: false }> }[] = [];
  for (const candidate of candidates) {
    const attempt = await tryActivate(candidate, options);
    if (attempt.ok) {
      const skipped = failures.map((f) => describeFailure(f.candidate, f.attempt));
      const why =
        requested !== null ? 'requested' : skipped.length === 0 ? 'fastest available' : `fastest available (${skipped.join('; ')})`;
      return { name: candidate.backendName, reason: `${why}; ${attempt.detail}` };
    }
    failures.push({ candidate, attempt });
  }
  if (requested === null) {
    // Unreachable with the built-in order: 'cpu' ships with @tensorflow/tfjs itself.
    throw new Error(`no TensorFlow.js backend could be activated: ${failures.map((f) => f.attempt.problem).join('; ')}`);
  }
  const packages = candidates.map((c) => c.packageName);
  if (failures.every((f) => f.attempt.missing)) {
    // The last candidate is the one that installs most easily ('tensorflow': tfjs-node, no CUDA).
    const toInstall = packages[packages.length - 1];
    throw new UserError(`the backend '${requested}' needs ${packages.join(' or ')}: run npm install ${toInstall}`);
  }
  const problems = failures.map((f) => describeFailure(f.candidate, f.attempt));
  throw new UserError(`the backend '${requested}' could not start: ${problems.join('; ')}`);
}

async function tryActivate(candidate: BackendCandidate, options: BackendOptions): Promise<Attempt> {
  try {
    return { ok: true, detail: await candidate.activate(options) };
  } catch (error) {
    const missing = isPackageMissing(error, candidate.packageName);
    const problem = `${candidate.packageName} failed to load: ${errorMessage(error)}`;
    return { ok: false, missing, problem };
  }
}

function describeFailure(candidate: BackendCandidate, attempt: Extract<Attempt, { ok: false }>): string {
  return attempt.missing ? `${candidate.packageName} is not installed` : attempt.problem;
}

// ---------------------------------------------------------------- activation

async function activateNative(packageName: string, description: string): Promise<string> {
  // A variable specifier keeps TypeScript from requiring the optional package's types.
  const specifier: string = packageName;
  await import(specifier);
  await requireBackend('tensorflow', packageName);
  return `${packageName} (${description})`;
}

async function activateWasm(options: BackendOptions): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Point the loader at the package's own .wasm binaries on disk: no network, no bundler assumptions.
  wasm.setWasmPaths(wasmBinaryDirectory());
  await requireBackend('wasm', '@tensorflow/tfjs-backend-wasm');
  const fix = options.matmulFix ?? true;
  if (fix) installWasmMatMulFix();
  else uninstallWasmMatMulFix();
  // Not an option: without it no convolution trains on wasm (the package has no Conv2DBackpropFilter).
  installWasmConv2DFilterGradient();
  // The gradient of an embedding lookup needs it; wasm has none.
  installWasmSegmentSum();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return `@tensorflow/tfjs-backend-wasm (WebAssembly${simd ? ' with SIMD' : ''}, matmul fix ${fix ? 'on' : 'off'})`;
}

async function activateCpu(): Promise<string> {
  await requireBackend('cpu', '@tensorflow/tfjs');
  // The cpu backend prints a banner recommending tfjs-node on first use; our reason says it instead.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return 'plain JavaScript kernels (slowest; install @tensorflow/tfjs-node for native speed)';
}

async function requireBackend(backendName: string, packageName: string): Promise<void> {
  const activated = await tf.setBackend(backendName);
  if (!activated) throw new Error(`${packageName} registered no usable '${backendName}' backend`);
  await tf.ready();
}

/** The directory holding tfjs-backend-wasm's .wasm files, with a trailing separator as the loader expects. */
export function wasmBinaryDirectory(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  return path.dirname(entry) + path.sep;
}

// ---------------------------------------------------------------- errors

/** True when the import failed because `packageName` itself is absent, not one of its dependencies. */
function isPackageMissing(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = errorMessage(error);
  return message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * A fix for the wasm backend's slow matrix products.
 *
 * tfjs-backend-wasm 4.x sends BatchMatMul and _FusedMatMul to XNNPACK's GEMM only for one
 * un-transposed product of [1,m,k] by [1,k,n]; every other form (transposeA, transposeB, a batch
 * axis longer than 1) runs a naive blocked loop that is 10-20x slower. Backprop through every dense
 * layer uses the transposed forms (dW = xᵀ·dy, dx = dy·Wᵀ), so on stock wasm a training step spends
 * most of its time in that loop.
 *
 * `installWasmMatMulFix` re-registers both kernels for 'wasm' with wrappers that rewrite each call
 * into the fast form before handing it to the stock kernel:
 *   - a transposed operand is transposed explicitly (the wasm Transpose kernel is a cheap copy);
 *   - a batched `a` against a single `b` is folded into one tall [1, batch·m, k] product;
 *   - batched against batched runs one fast product per batch entry when the matrices are big
 *     enough to pay for the slicing and the final concat.
 * Results equal the stock kernel's up to float rounding order; gradients are untouched because the
 * kernel names (and so the registered gradients) stay the same.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataId, KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const WASM_BACKEND = 'wasm';
const PATCHED_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
type PatchedKernel = (typeof PATCHED_KERNELS)[number];

/**
 * Below this many multiply-adds per batch entry, the per-entry copies and call overhead (~8 µs)
 * cost more than the naive loop saves. Measured with wasm SIMD on 2 cores: 32x32x32 entries break
 * even, 16x16x16 entries are 3x slower looped, 64x64x64 entries 3.5x faster.
 */
const PER_ENTRY_LOOP_MIN_WORK = 32 * 32 * 32;

/** The stock kernel configs while the fix is installed; null when stock kernels are registered. */
let stockKernels: Record<PatchedKernel, KernelConfig> | null = null;

/**
 * Replaces the wasm BatchMatMul and _FusedMatMul kernels with the fast-form wrappers.
 * Idempotent. Works before or after the wasm backend initializes, but the wasm package must have
 * been imported (it registers the stock kernels).
 */
export function installWasmMatMulFix(): void {
  if (stockKernels !== null) return;
  const batchMatMul = requireWasmKernel('BatchMatMul');
  const fusedMatMul = requireWasmKernel('_FusedMatMul');
  stockKernels = { BatchMatMul: batchMatMul, _FusedMatMul: fusedMatMul };
  replaceKernel(batchMatMul, fastFormMatMul(batchMatMul.kernelFunc, 'BatchMatMul'));
  replaceKernel(fusedMatMul, fastFormMatMul(fusedMatMul.kernelFunc, '_FusedMatMul'));
}

/** Restores the stock wasm kernels (for benchmarks and A/B checks). Idempotent. */
export function uninstallWasmMatMulFix(): void {
  if (stockKernels === null) return;
  for (const name of PATCHED_KERNELS) {
    tf.unregisterKernel(name, WASM_BACKEND);
    tf.registerKernel(stockKernels[name]);
  }
  stockKernels = null;
}

export function isWasmMatMulFixInstalled(): boolean {
  return stockKernels !== null;
}

// ---------------------------------------------------------------- planning

/**
 * How one product is run once both operands are un-transposed:
 *   'single'  both batch sizes are 1: already the fast form;
 *   'fold'    `a` is batched, `b` is shared: one tall product over batch·m rows;
 *   'loop'    one fast product per batch entry, concatenated;
 *   'stock'   leave it to the stock kernel (small matrices, or batch shapes it alone handles).
 */
export type MatMulPlan = 'single' | 'fold' | 'loop' | 'stock';

/** Chooses the plan from the un-transposed shapes `a: [...batchA, m, k]`, `b: [...batchB, k, n]`. */
export function planMatMul(aShape: readonly number[], bShape: readonly number[], hasPreluWeights = false): MatMulPlan {
  const batchA = product(aShape.slice(0, -2));
  const batchB = product(bShape.slice(0, -2));
  if (batchA === 1 && batchB === 1) return 'single';
  // Folding keeps the output's memory layout, so bias and PReLU weights apply to it unchanged.
  if (batchB === 1) return 'fold';
  // Per-entry products would each see the whole PReLU weight tensor: only the stock loop is right.
  if (hasPreluWeights) return 'stock';
  const [m, k] = aShape.slice(-2) as [number, number];
  const n = bShape[bShape.length - 1]!;
  const sameOrShared = batchA === batchB || batchA === 1;
  return sameOrShared && m * k * n >= PER_ENTRY_LOOP_MIN_WORK ? 'loop' : 'stock';
}

// ---------------------------------------------------------------- kernels

interface MatMulKernelArgs {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendWasm;
  attrs: NamedAttrMap & { transposeA: boolean; transposeB: boolean };
}

/** Wraps a stock matmul kernel so it only ever sees un-transposed operands in the fast form. */
function fastFormMatMul(stockKernel: KernelFunc, name: PatchedKernel): KernelFunc {
  const runStock = (args: MatMulKernelArgs, a: TensorInfo, b: TensorInfo): TensorInfo =>
    stockKernel({
      inputs: { ...args.inputs, a, b },
      backend: args.backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    }) as TensorInfo;

  const kernelFunc = (params: Parameters<KernelFunc>[0]): TensorInfo => {
    const args = params as unknown as MatMulKernelArgs;
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs;
    // The stock kernel rejects other dtypes with its own message; let it.
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockKernel(params) as TensorInfo;

    checkInnerDimensions(a, b, transposeA, transposeB);

    const scratch = new Scratch(args.backend);
    try {
      const aPlain = transposeA ? scratch.keep(transposeLastTwo(a, args.backend)) : a;
      const bPlain = transposeB ? scratch.keep(transposeLastTwo(b, args.backend)) : b;
      const m = aPlain.shape[aPlain.shape.length - 2]!;
      const n = bPlain.shape[bPlain.shape.length - 1]!;
      const outShape = [...broadcastBatchShape(aPlain, bPlain), m, n];
      const plan = planMatMul(aPlain.shape, bPlain.shape, args.inputs.preluActivationWeights != null);

      // _FusedMatMul reads its operands as rank 3; BatchMatMul accepts any rank >= 2.
      const a3 = asRank3(aPlain);
      const b3 = asRank3(bPlain);
      let out: TensorInfo;
      if (plan === 'fold') {
        out = runStock(args, view(a3, [1, a3.shape[0]! * a3.shape[1]!, a3.shape[2]!]), b3);
      } else if (plan === 'loop') {
        out = productPerBatchEntry(a3, b3, (ai, bi) => runStock(args, ai, bi), args.backend);
      } else {
        out = runStock(args, name === '_FusedMatMul' ? a3 : aPlain, name === '_FusedMatMul' ? b3 : bPlain);
      }
      return { dataId: out.dataId, dtype: out.dtype, shape: outShape };
    } finally {
      scratch.disposeAll();
    }
  };
  return kernelFunc as KernelFunc;
}

/**
 * out[i] = a[i or 0] · b[i], each a fast [1,m,k]x[1,k,n] product copied into its place in one output.
 * Entries are copied out through heap views rather than the wasm Slice kernel, which reads the
 * whole tensor for every slice.
 */
function productPerBatchEntry(
  a: TensorInfo,
  b: TensorInfo,
  multiply: (a: TensorInfo, b: TensorInfo) => TensorInfo,
  backend: BackendWasm,
): TensorInfo {
  // The 'loop' plan guarantees b is batched and a is batched alike or shared.
  const [batch, , n] = b.shape as [number, number, number];
  const m = a.shape[1]!;
  const out = backend.makeOutput([batch, m, n], 'float32');
  try {
    for (let i = 0; i < batch; i++) {
      const entry = new Scratch(backend);
      try {
        const ai = a.shape[0] === 1 ? a : entry.keep(copyBatchEntry(a, i, backend));
        const bi = entry.keep(copyBatchEntry(b, i, backend));
        const product = entry.keep(multiply(ai, bi));
        // Views are taken after every allocation: a growing heap detaches older ones.
        backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(product), i * m * n);
      } finally {
        entry.disposeAll();
      }
    }
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}

// ---------------------------------------------------------------- tensor helpers

/** Intermediate tensors a kernel makes for itself: the engine never sees them, so we free them. */
class Scratch {
  private readonly dataIds: DataId[] = [];
  constructor(private readonly backend: KernelBackend) {}
  keep(tensor: TensorInfo): TensorInfo {
    this.dataIds.push(tensor.dataId);
    return tensor;
  }
  disposeAll(): void {
    for (const dataId of this.dataIds) this.backend.disposeData(dataId);
  }
}

/** The stock kernel's check, made before our rewrite so its message names the caller's shapes. */
function checkInnerDimensions(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): void {
  const innerA = a.shape[a.shape.length - (transposeA ? 2 : 1)];
  const innerB = b.shape[b.shape.length - (transposeB ? 1 : 2)];
  tf.util.assert(
    innerA === innerB,
    () =>
      `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
      `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
}

/**
 * x with its last two axes swapped, as a loop over the heap: the wasm Transpose kernel took 1.3 ms for [512, 128]
 * (20 ns a value), this 0.12 ms, and the backward pass of every dense layer transposes twice. Reading strided and
 * writing in order measured 4x faster than the other way round and 2x faster than 32x32 blocks.
 */
function transposeLastTwo(x: TensorInfo, backend: KernelBackend): TensorInfo {
  const wasm = backend as BackendWasm;
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  const out = wasm.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype);
  // Views taken after makeOutput, which may grow (and so detach) the heap.
  const from = wasm.typedArrayFromHeap(x);
  const to = wasm.typedArrayFromHeap(out);
  const size = rows * cols;
  for (let entry = 0; entry < from.length; entry += size) {
    for (let j = 0; j < cols; j++) {
      const base = entry + j * rows;
      for (let i = 0; i < rows; i++) to[base + i] = from[entry + i * cols + j]!;
    }
  }
  return out;
}

function copyBatchEntry(x: TensorInfo, index: number, backend: BackendWasm): TensorInfo {
  const [, rows, cols] = x.shape as [number, number, number];
  const entry = backend.makeOutput([1, rows, cols], x.dtype);
  const size = rows * cols;
  backend.typedArrayFromHeap(entry).set(backend.typedArrayFromHeap(x).subarray(index * size, (index + 1) * size));
  return entry;
}

/** Same data, another shape; no copy and no reference taken (the caller's input stays alive). */
function view(x: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: x.dataId, dtype: x.dtype, shape };
}

function asRank3(x: TensorInfo): TensorInfo {
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  return x.shape.length === 3 ? x : view(x, [product(x.shape.slice(0, -2)), rows, cols]);
}

function broadcastBatchShape(a: TensorInfo, b: TensorInfo): number[] {
  return tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
}

function product(dims: readonly number[]): number {
  return dims.reduce((acc, d) => acc * d, 1);
}

// ---------------------------------------------------------------- registry

function runWasmKernel(
  name: string,
  inputs: Record<string, TensorInfo>,
  backend: KernelBackend,
  attrs: NamedAttrMap,
): TensorInfo {
  return requireWasmKernel(name).kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

function requireWasmKernel(name: string): KernelConfig {
  const config = tf.getKernel(name, WASM_BACKEND);
  if (config === undefined) {
    throw new Error(`the wasm kernel '${name}' is not registered: import @tensorflow/tfjs-backend-wasm first`);
  }
  return config;
}

/** Swaps the kernel function, keeping the stock setup/dispose hooks (they bind the wasm exports). */
function replaceKernel(stock: KernelConfig, kernelFunc: KernelFunc): void {
  tf.unregisterKernel(stock.kernelName, WASM_BACKEND);
  tf.registerKernel({ ...stock, kernelFunc });
}

/**
 * UnsortedSegmentSum for the wasm backend, which has none: tf.gather's gradient (an embedding lookup's) sums the
 * rows of dy into the rows of the table they were gathered from with it, so without this kernel an embedding does not
 * train on wasm. A JS loop over the backend's heap: one pass over dy, the same sums in the same order as the cpu
 * backend's kernel (segment by segment would reorder them), so the gradient equals the cpu backend's.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const KERNEL = 'UnsortedSegmentSum';
const WASM_BACKEND = 'wasm';

function unsortedSegmentSum(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const width = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const values = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const sums = backend.typedArrayFromHeap(out);
  sums.fill(0);
  for (let r = 0; r < rows; r++) {
    const segment = ids[r]!;
    if (segment < 0 || segment >= numSegments) continue; // tf drops ids outside [0, numSegments)
    const to = segment * width;
    const from = r * width;
    for (let j = 0; j < width; j++) sums[to + j] += values[from + j]!;
  }
  return out;
}

/** Registers the kernel for wasm, unless it has one. Idempotent. */
export function installWasmSegmentSum(): void {
  if (tf.getKernel(KERNEL, WASM_BACKEND)) return;
  tf.registerKernel({ kernelName: KERNEL, backendName: WASM_BACKEND, kernelFunc: unsortedSegmentSum as KernelConfig['kernelFunc'] });
}

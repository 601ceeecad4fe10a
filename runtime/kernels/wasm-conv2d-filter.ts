/**
 * The gradient of a convolution with respect to its filter, for the wasm backend, which has no
 * Conv2DBackpropFilter kernel (tfjs-backend-wasm 4.x registers Conv2D and Conv2DBackpropInput only):
 * without it a cnn cannot train there.
 *
 * dW[kh, kw, c, f] = Σ_{n, oh, ow} x[n, oh·sh + kh − top, ow·sw + kw − left, c] · dy[n, oh, ow, f]
 *
 * Two formulations, both in NHWC over the wasm heap:
 *   'im2col' (the default) writes the input's patches, transposed, as one [kh·kw·c, n·oh·ow] matrix (zeros where a
 *            patch reaches into the padding) and hands [1, K, M] × [1, M, f] to the wasm BatchMatMul kernel, the fast
 *            un-transposed form XNNPACK's GEMM runs;
 *   'direct' sums the products in a JavaScript loop, with no extra memory.
 * `npm run bench:runtime` times both; im2col is the faster by far on the MultiMNIST cnn (see bench/runtime.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const WASM_BACKEND = 'wasm';
const KERNEL = 'Conv2DBackpropFilter';

export type FilterGradientMethod = 'im2col' | 'direct';

let installed: FilterGradientMethod | null = null;

/**
 * Registers our Conv2DBackpropFilter for 'wasm' (again, with another method, when asked). Idempotent. Leaves a kernel
 * the wasm package itself registers (a later version) in place.
 */
export function installWasmConv2DFilterGradient(method: FilterGradientMethod = 'im2col'): void {
  if (installed === method) return;
  if (installed === null && tf.getKernel(KERNEL, WASM_BACKEND) !== undefined) return;
  if (installed !== null) tf.unregisterKernel(KERNEL, WASM_BACKEND);
  tf.registerKernel({ kernelName: KERNEL, backendName: WASM_BACKEND, kernelFunc: filterGradientKernel(method) });
  installed = method;
}

export function wasmConv2DFilterGradientMethod(): FilterGradientMethod | null {
  return installed;
}

interface FilterGradientAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function filterGradientKernel(method: FilterGradientMethod): KernelFunc {
  return (params) => {
    const { inputs, attrs } = params as unknown as { inputs: { x: TensorInfo; dy: TensorInfo }; attrs: FilterGradientAttrs };
    const backend = params.backend as BackendWasm;
    const { x, dy } = inputs;
    if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm: only NHWC data is supported');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
    );
    const out = method === 'im2col' ? im2colGradient(x, dy, info, backend) : directGradient(x, dy, info, backend);
    return { dataId: out.dataId, dtype: 'float32', shape: attrs.filterShape };
  };
}

type ConvInfo = tf.backend_util.Conv2DInfo;

/** The patches of `x`, transposed: row (kh, kw, c), column (n, oh, ow); zeros where a patch lies in the padding. */
function writePatches(patches: Float32Array, xs: Float32Array, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const columns = batchSize * outHeight * outWidth;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let c = 0; c < inChannels; c++) {
        const row = ((kh * filterWidth + kw) * inChannels + c) * columns;
        let at = row;
        for (let n = 0; n < batchSize; n++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight + kh - top;
            if (ih < 0 || ih >= inHeight) {
              patches.fill(0, at, at + outWidth);
              at += outWidth;
              continue;
            }
            const base = (n * inHeight + ih) * inWidth;
            for (let ow = 0; ow < outWidth; ow++, at++) {
              const iw = ow * strideWidth + kw - left;
              patches[at] = iw >= 0 && iw < inWidth ? xs[(base + iw) * inChannels + c]! : 0;
            }
          }
        }
      }
    }
  }
}

function im2colGradient(x: TensorInfo, dy: TensorInfo, info: ConvInfo, backend: BackendWasm): TensorInfo {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const M = info.batchSize * info.outHeight * info.outWidth;
  const patches = backend.makeOutput([1, K, M], 'float32');
  try {
    // Views are taken after the allocation: a growing heap detaches older ones.
    writePatches(backend.typedArrayFromHeap(patches) as Float32Array, backend.typedArrayFromHeap(x) as Float32Array, info);
    const matMul = tf.getKernel('BatchMatMul', WASM_BACKEND)!.kernelFunc;
    const dyMatrix: TensorInfo = { dataId: dy.dataId, dtype: dy.dtype, shape: [1, M, info.outChannels] };
    return matMul({ inputs: { a: patches, b: dyMatrix }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
  } finally {
    backend.disposeData(patches.dataId);
  }
}

function directGradient(x: TensorInfo, dy: TensorInfo, info: ConvInfo, backend: BackendWasm): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  const dW = backend.typedArrayFromHeap(out) as Float32Array;
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const dys = backend.typedArrayFromHeap(dy) as Float32Array;
  dW.fill(0);
  const sums = new Float64Array(outChannels);
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let c = 0; c < inChannels; c++) {
        sums.fill(0);
        for (let n = 0; n < batchSize; n++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight + kh - info.padInfo.top;
            if (ih < 0 || ih >= inHeight) continue;
            for (let ow = 0; ow < outWidth; ow++) {
              const iw = ow * strideWidth + kw - info.padInfo.left;
              if (iw < 0 || iw >= inWidth) continue;
              const v = xs[((n * inHeight + ih) * inWidth + iw) * inChannels + c]!;
              const g = ((n * outHeight + oh) * outWidth + ow) * outChannels;
              for (let f = 0; f < outChannels; f++) sums[f] += v * dys[g + f]!;
            }
          }
        }
        dW.set(sums, ((kh * filterWidth + kw) * inChannels + c) * outChannels);
      }
    }
  }
  return out;
}

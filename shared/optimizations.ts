/**
 * The optimizations `--no-opt NAME` may turn off, for comparison: each is exact (a test proves the optimized and the
 * plain form give the same outputs and gradients), so turning one off changes only the speed.
 */
export const OPTIMIZATIONS = {
  'onehot-lookup': 'compiler pass: a dense layer over one-hot features adds the kernel rows the hot ids select (an embedding bag) instead of multiplying the one-hot vector',
  'fused-dense-step': 'runtime: a training step of dense layers (hard sharing or MMoE; binary, regression or multiclass heads; Adam) runs as a dozen calls of WebAssembly SIMD routines over one block of memory, skipping the zeros a ReLU leaves, instead of ~280 tensor ops',
  'fused-adam': 'runtime kernel: Adam updates each parameter and its moments in one pass over their values, instead of about a dozen tensor ops per parameter; on the cpu backend only, where it pays (on wasm the tensor ops are faster)',
} as const;

export type OptimizationName = keyof typeof OPTIMIZATIONS;

export const optimizationNames = (): OptimizationName[] => Object.keys(OPTIMIZATIONS) as OptimizationName[];

/** The names of a comma-separated `--no-opt` list, or the first unknown one. */
export function parseNoOpt(text: string): { names: OptimizationName[] } | { unknown: string } {
  const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.find((n) => !(n in OPTIMIZATIONS));
  return unknown === undefined ? { names: names as OptimizationName[] } : { unknown };
}

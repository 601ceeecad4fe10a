/**
 * One Adam update of a parameter and its two moments in a single pass over their values, instead of the dozen tensor
 * ops (each a kernel call with its allocation) the unfused optimizer runs per parameter (train/optimizer.ts).
 *
 * Every operation is the unfused one's, in the same order, rounded to float32 after each (Math.fround): float32
 * products, quotients, sums and square roots computed in float64 and rounded once are exactly the float32 results, so
 * the update is bit for bit the unfused optimizer's on the cpu and wasm backends (test/runtime/optimizations.test.ts).
 */
const f = Math.fround;

/**
 * Whether the fused update pays on a backend, as measured on census's 74,946 parameters (one update, alternating,
 * medians): on cpu, whose ops run in JavaScript one array at a time, 0.67 ms fused against 10.5 ms unfused; on wasm,
 * whose kernels are compiled and SIMD, 0.71 ms against 0.56 ms: there the tensor ops stay. Native backends (tfjs-node)
 * are not measured, so they keep their kernels too.
 */
export const fusedAdamPays = (backend: string): boolean => backend === 'cpu';

export interface AdamScalars {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** lr · multiplier · √(1 − β₂ᵗ) / (1 − β₁ᵗ) */
  alpha: number;
  /** ε · √(1 − β₂ᵗ) */
  epsilon: number;
  /** 1 − lr · λ with decoupled weight decay, else null */
  decay: number | null;
}

/** Updates `first` and `second` in place and writes the new parameter values to `out`. */
export function adamUpdate(param: Float32Array, gradient: Float32Array, first: Float32Array, second: Float32Array, s: AdamScalars, out: Float32Array): void {
  const beta1 = f(s.beta1), oneMinusBeta1 = f(s.oneMinusBeta1), beta2 = f(s.beta2), oneMinusBeta2 = f(s.oneMinusBeta2);
  const alpha = f(s.alpha), epsilon = f(s.epsilon), decay = s.decay === null ? null : f(s.decay);
  for (let i = 0; i < param.length; i++) {
    const g = gradient[i]!;
    const m = f(f(first[i]! * beta1) + f(g * oneMinusBeta1));
    const v = f(f(second[i]! * beta2) + f(f(g * g) * oneMinusBeta2));
    first[i] = m;
    second[i] = v;
    const value = decay === null ? param[i]! : f(param[i]! * decay);
    out[i] = f(value - f(f(m / f(f(Math.sqrt(v)) + epsilon)) * alpha));
  }
}

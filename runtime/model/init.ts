/** Seeded initial values, computed in JavaScript so they are identical on every backend. */

/**
 * Glorot (Xavier) uniform for a [fanIn, fanOut] kernel: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
 * `uniform` returns numbers in [0, 1); each parameter gets its own stream, so adding a task to a
 * program does not change the initial weights of the others.
 */
export function glorotUniform(fanIn: number, fanOut: number, uniform: () => number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < values.length; i++) values[i] = (2 * uniform() - 1) * limit;
  return values;
}

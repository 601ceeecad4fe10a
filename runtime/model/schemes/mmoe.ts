/**
 * Multi-gate mixture of experts (Ma et al. 2018). The compiler lowers a share to ordinary modules, all marked with this
 * scheme: experts that read the input, a softmax gate per task (a unit per expert), and per task a module whose
 * mixture layer (layers/mixture.ts) adds the experts' outputs weighted by the task's gate. Experts are memoized like
 * any module, so they run once per batch however many tasks mix them; a gate serves its task alone. The scheme adds
 * nothing of its own.
 */
import type { SharingScheme } from './scheme.js';

export const mmoe: SharingScheme = {
  runnable: true,
  attach: () => ({}),
};

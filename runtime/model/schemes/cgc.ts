/**
 * Customized gate control (Tang et al. 2020, the single level of PLE). The compiler lowers a share to ordinary modules,
 * all marked with this scheme: shared experts and each task's own experts, all reading the input, a softmax gate per
 * task with a unit per expert it mixes (the shared ones, then its own), and per task a module whose mixture layer
 * (layers/mixture.ts) adds those experts' outputs weighted by the gate. A task's own experts and gate serve it alone,
 * so another task's loss never reaches them. The scheme adds nothing of its own.
 */
import { mixtureGateProbes } from './mixture-gates.js';
import type { SharingScheme } from './scheme.js';

export const cgc: SharingScheme = {
  runnable: true,
  attach: (modules) => ({ gates: () => mixtureGateProbes(modules) }),
};

/**
 * Progressive layered extraction (Tang et al. 2020): CGC levels stacked. The compiler lowers a share to ordinary
 * modules, all marked with this scheme. At each level but the last a shared gate mixes every expert of the level
 * (shared and every task's) into the shared mixture the next level's shared experts and shared gate read; a task's
 * mixture is what its next-level experts and gate read. The last level is a CGC whose task mixtures the towers or
 * heads read. Mixtures are layers/mixture.ts; experts run once per batch, memoized like any module. The scheme adds
 * nothing of its own; its gates are reported by the expert telemetry (mixture-gates.ts).
 */
import { mixtureGateProbes } from './mixture-gates.js';
import type { SharingScheme } from './scheme.js';

export const ple: SharingScheme = {
  runnable: true,
  attach: (modules) => ({ gates: () => mixtureGateProbes(modules) }),
};

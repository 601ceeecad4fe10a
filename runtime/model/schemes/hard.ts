/**
 * Hard sharing: the graph itself. Tasks whose heads read one module share its parameters; nothing else changes.
 * A module shared by tasks of several datasets is still one module, applied to whichever input a batch provides.
 */
import type { SharingScheme } from './scheme.js';

export const hard: SharingScheme = {
  runnable: true,
  attach: () => ({}),
};

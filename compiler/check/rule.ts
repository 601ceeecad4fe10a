import type { CheckedProgram } from './model.js';
import type { DiagnosticsContext } from './context.js';
import type { CheckOptions } from './check.js';

/** A check rule: one file each under rules/, headed by a one-sentence statement of what it enforces. */
export interface Rule {
  name: string;
  run(program: CheckedProgram, ctx: DiagnosticsContext, options: CheckOptions): void;
}

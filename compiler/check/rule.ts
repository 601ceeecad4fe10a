import type { CheckedProgram } from './model.js';
import type { DiagnosticsContext } from './context.js';
import type { Root } from '../syntax/root.js';

/** A check rule: one file each under rules/, headed by a one-sentence statement of what it enforces. */
export interface Rule {
  name: string;
  run(program: CheckedProgram, ctx: DiagnosticsContext, options: CheckOptions): void;
  /**
   * Whether the rule also runs after syntax errors. A rule about what the program lacks (no task) would only repeat
   * them: what a broken declaration held cannot be read.
   */
  afterSyntaxErrors?: false;
}

/** What checking is asked to do (the rules read it too). */
export interface CheckOptions {
  maxErrors?: number;
  /** Run only the rules with these names (tests of a single rule); all of them when absent. */
  only?: string[];
  /**
   * Report constructors this version's runtime does not run (rule runs-today) as warnings, not errors, so such a
   * program still compiles to a job (for tools and tests; `mtl run` would refuse the job).
   */
  allowUnrunnable?: boolean;
  /** The directory the compilation is confined to (`CompileOptions.root`, resolved by `compileProgram`). */
  root?: Root | null;
}

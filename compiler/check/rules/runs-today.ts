/**
 * A program calls only constructors this version's runtime executes: a call of one whose stdlib entry says
 * `runs: false` is an error (a warning with the `allowUnrunnable` option), though the compiler understands it.
 */
import { Codes } from '../../diagnostics/codes.js';
import { constructorsOf } from '../../../stdlib/index.js';
import type { Rule } from '../rule.js';
import { walkProgram } from '../walk.js';

export const runsToday: Rule = {
  name: 'runs-today',
  run(program, ctx, options) {
    // A file imported under two names gives the same written call twice: report it once.
    const said = new Set<string>();
    walkProgram(program, (value) => {
      if (value.v !== 'call' || value.implicit) return;
      const { ctor, span } = value;
      if (ctor.runs) return;
      const key = `${span.file}:${span.start}:${span.end}`;
      if (said.has(key)) return;
      said.add(key);
      const runnable = constructorsOf(ctor.category).filter((c) => c.runs).map((c) => `\`${c.name}\``);
      ctx.report({
        code: Codes.NotRunYet, severity: options.allowUnrunnable ? 'warning' : 'error',
        message: `\`${ctor.name}\` does not run in this version of mtl (the compiler understands it; ${ctor.notRun})`,
        span, label: 'not run by this version',
        help: runnable.length ? `the ${ctor.category.replace('_', ' ')}s this version runs: ${runnable.join(', ')}` : null,
      });
    });
  },
};

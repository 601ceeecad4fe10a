/**
 * The tasks of a `cross_stitch` share read one feature set: its units mix every column's activations for the same
 * rows, so every column must run on each batch, and a batch carries one dataset's input.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';

export const crossStitchOneInput: Rule = {
  name: 'cross-stitch-one-input',
  run(program, ctx) {
    for (const share of program.shares.values()) {
      if (share.scheme !== 'cross_stitch') continue;
      let first: { task: string; features: string; span: (typeof share.tasks)[number]['span'] } | null = null;
      for (const t of share.tasks) {
        const features = program.tasks.get(t.name)?.features;
        if (!features) continue;
        if (!first) first = { task: t.name, features, span: t.span };
        else if (features !== first.features) {
          ctx.report({
            code: Codes.CrossStitchInputs, message: `the tasks of cross-stitch share \`${share.name}\` read different features (\`${first.features}\` and \`${features}\`)`,
            span: t.span, label: `\`${t.name}\` reads \`${features}\``, secondary: [{ span: first.span, message: `\`${first.task}\` reads \`${first.features}\`` }],
            help: 'cross-stitch units mix the columns on the same rows: give these tasks one feature set, or share them with `hard`, `adapters`, `mmoe` or `soft`',
          });
          break;
        }
      }
    }
  },
};

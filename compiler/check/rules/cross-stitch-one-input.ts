/**
 * The tasks of a share whose scheme mixes rows (`mixesRows`: cross_stitch's units mix every column's activations for
 * the same rows) read one feature set: every column must run on each batch, and a batch carries one dataset's input.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { orList } from '../../util/or-list.js';
import { sharing } from '../../../stdlib/index.js';

/** The schemes a user can fall back on, as help lists them: "`hard`, `adapters` or `soft`". */
const notMixingRows = orList(Object.entries(sharing).filter(([, e]) => !e.mixesRows).map(([name]) => `\`${name}\``));

export const crossStitchOneInput: Rule = {
  name: 'cross-stitch-one-input',
  run(program, ctx) {
    for (const share of program.shares.values()) {
      if (!share.entry?.mixesRows) continue;
      let first: { task: string; features: string; span: (typeof share.tasks)[number]['span'] } | null = null;
      for (const t of share.tasks) {
        const features = program.tasks.get(t.name)?.features;
        if (!features) continue;
        if (!first) first = { task: t.name, features, span: t.span };
        else if (features !== first.features) {
          ctx.report({
            code: Codes.CrossStitchInputs, message: `the tasks of \`${share.scheme}\` share \`${share.name}\` read different features (\`${first.features}\` and \`${features}\`)`,
            span: t.span, label: `\`${t.name}\` reads \`${features}\``, secondary: [{ span: first.span, message: `\`${first.task}\` reads \`${first.features}\`` }],
            help: `\`${share.scheme}\` mixes the columns on the same rows: give these tasks one feature set, or share them with ${notMixingRows}`,
          });
          break;
        }
      }
    }
  },
};

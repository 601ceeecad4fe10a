/** A ratio split's shares sum to 1 and leave rows for training and validation (each share's range is value-limits'). */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { numberOf } from '../values.js';

export const splitRatios: Rule = {
  name: 'split-ratios',
  run(program, ctx) {
    for (const dataset of program.datasets.values()) {
      const split = dataset.split;
      if (split.v !== 'call' || split.ctor.name !== 'ratio') continue;
      const shares = ['train', 'valid', 'test'].map((k) => [k, numberOf(split.args[k])] as const);
      if (shares.some(([, n]) => n === null || n < 0 || n > 1)) continue;
      const sum = shares.reduce((s, [, n]) => s + n!, 0);
      if (Math.abs(sum - 1) > 1e-9) {
        ctx.report({
          code: Codes.SplitRatios, message: `split shares sum to ${+sum.toFixed(6)}, not 1`, span: split.span, label: shares.map(([k, n]) => `${k} ${n}`).join(' + '),
          help: 'make train + valid + test = 1',
        });
      }
      for (const k of ['train', 'valid'] as const) {
        if (numberOf(split.args[k]) === 0) ctx.report({ code: Codes.SplitRatios, message: `the \`${k}\` share is 0`, span: split.args[k]!.span, label: `no ${k === 'train' ? 'training' : 'validation'} rows`, help: k === 'valid' ? 'model selection needs validation rows' : 'training needs rows' });
      }
    }
  },
};

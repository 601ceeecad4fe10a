/** A transform takes only columns of the types it can encode, and a feature set produces one kind of value. */
import { Codes } from '../../diagnostics/codes.js';
import { constructorsOf, isOf } from '../../../stdlib/index.js';
import type { ColumnType } from '../model.js';
import type { Rule } from '../rule.js';
import { kindWords } from '../backbone.js';

export const transformColumnTypes: Rule = {
  name: 'transform-column-types',
  run(program, ctx) {
    for (const features of program.features.values()) {
      const dataset = features.dataset ? program.datasets.get(features.dataset) : undefined;
      if (!dataset) continue;
      for (const t of features.transforms) {
        const column = dataset.columns.get(t.column.name);
        const accepts: ColumnType[] = isOf(t.call.ctor, 'transform') ? t.call.ctor.accepts : [];
        if (!column || accepts.includes(column.type)) continue;
        const fitting = constructorsOf('transform').filter((c) => c.accepts.includes(column.type)).map((c) => `\`${c.name}\``);
        ctx.report({
          code: Codes.TransformColumnType,
          message: `\`${t.name}\` cannot encode column \`${t.column.name}\` of type ${column.type}`,
          span: t.column.span,
          label: `${column.type} column`,
          secondary: [{ span: column.span, message: `declared ${column.type} here` }],
          help: `\`${t.name}\` takes ${accepts.join(' or ')} columns${fitting.length ? `; for ${column.type} use ${fitting.join(' or ')}` : ''}`,
        });
      }
      const kinds = new Map<string, (typeof features.transforms)[number]>();
      for (const t of features.transforms) {
        if (!isOf(t.call.ctor, 'transform')) continue;
        const produces = t.call.ctor.produces;
        if (!kinds.has(produces)) kinds.set(produces, t);
      }
      if (kinds.size > 1) {
        const [first, second] = [...kinds.entries()];
        ctx.report({
          code: Codes.TransformColumnType,
          message: `features \`${features.name}\` mix ${kindWords[first![0] as keyof typeof kindWords]} and ${kindWords[second![0] as keyof typeof kindWords]}`,
          span: second![1].call.span,
          label: `makes ${kindWords[second![0] as keyof typeof kindWords]}`,
          secondary: [{ span: first![1].call.span, message: `makes ${kindWords[first![0] as keyof typeof kindWords]}` }],
          help: 'put them in two `features` declarations; a model input holds one kind of value',
        });
      }
    }
  },
};

/**
 * `on: representation` asks for an aggregation's form on the shared representation, which only the methods whose paper
 * or reference code has one offer (MGDA-UB, IMTL-G on the shared features, Aligned-MTL-UB): each stdlib entry says.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { orList } from '../../util/or-list.js';
import { aggregationOnRepresentation } from '../model.js';
import { aggregations } from '../../../stdlib/index.js';

/** The aggregations that have a representation form, as help lists them: "`mgda`, `imtl_g` or `aligned_mtl`". */
const withForm = orList(Object.entries(aggregations).filter(([, e]) => 'form' in e.representation).map(([name]) => `\`${name}\``));

export const representationForm: Rule = {
  name: 'representation-form',
  run(program, ctx) {
    const asked = aggregationOnRepresentation(program);
    if (!asked || !('none' in asked.entry.representation)) return;
    ctx.report({
      code: Codes.NoRepresentationForm,
      message: `\`${asked.entry.name}\` has no form on the shared representation`,
      span: asked.on.span,
      label: asked.entry.representation.none,
      help: `take the gradients of the shared parameters (\`on: parameters\`, the default), or use ${withForm} on the representation`,
    });
  },
};

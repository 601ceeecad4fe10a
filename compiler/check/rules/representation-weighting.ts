/**
 * A weighting that works on each task's gradient of the shared parameters (gradnorm measures them, db_mtl rescales
 * them) cannot run with an aggregation `on: representation`, whose step never computes those gradients.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { orList } from '../../util/or-list.js';
import { aggregationOnRepresentation } from '../model.js';
import { isCall } from '../values.js';
import { isOf, weightings } from '../../../stdlib/index.js';

/** The weightings of the losses alone, as help lists them. */
const ofLossesAlone = orList(Object.entries(weightings).filter(([, e]) => !e.perTaskGradients).map(([name]) => `\`${name}\``));

export const representationWeighting: Rule = {
  name: 'representation-weighting',
  run(program, ctx) {
    const asked = aggregationOnRepresentation(program);
    const weighting = program.train.weighting;
    if (!asked || !isCall(weighting) || !isOf(weighting.ctor, 'weighting') || !weighting.ctor.perTaskGradients) return;
    ctx.report({
      code: Codes.WeightingNeedsParameterGradients,
      message: `\`${weighting.ctor.name}\` works on each task's gradient of the shared parameters, which \`on: representation\` does not compute`,
      span: weighting.span,
      label: 'needs the gradients of the shared parameters',
      secondary: [{ span: asked.on.span, message: 'the aggregation takes the gradients of the representation' }],
      help: `aggregate on the parameters (\`on: parameters\`), or weigh the losses alone with ${ofLossesAlone}`,
    });
  },
};

/**
 * What works on each task's gradient of the shared parameters (gradnorm measures them, db_mtl rescales them,
 * normalize_task_gradients divides them by their norm) cannot run with an aggregation `on: representation`, whose
 * step never computes those gradients.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { orList } from '../../util/or-list.js';
import { aggregationOnRepresentation, perTaskMethods } from '../model.js';
import { weightings } from '../../../stdlib/index.js';

/** The weightings of the losses alone, as help lists them. */
const ofLossesAlone = orList(Object.entries(weightings).filter(([, e]) => !e.perTaskGradients).map(([name]) => `\`${name}\``));

export const representationWeighting: Rule = {
  name: 'representation-weighting',
  run(program, ctx) {
    const asked = aggregationOnRepresentation(program);
    if (!asked) return;
    for (const method of perTaskMethods(program).filter((m) => m.span !== asked.call.span)) {
      const isWeighting = method.name !== 'normalize_task_gradients';
      ctx.report({
        code: Codes.WeightingNeedsParameterGradients,
        message: `\`${method.name}\` works on each task's gradient of the shared parameters, which \`on: representation\` does not compute`,
        span: method.span,
        label: 'needs the gradients of the shared parameters',
        secondary: [{ span: asked.on.span, message: 'the aggregation takes the gradients of the representation' }],
        help: isWeighting
          ? `aggregate on the parameters (\`on: parameters\`), or weigh the losses alone with ${ofLossesAlone}`
          : `aggregate on the parameters (\`on: parameters\`), or ${method.instead}`,
      });
    }
  },
};

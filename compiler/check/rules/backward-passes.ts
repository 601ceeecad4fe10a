/**
 * An aggregation that works on per-task gradients (pcgrad, mgda, …) makes one backward pass per task each step over
 * the shared parameters, where `sum()` makes one: said up front (info), so the cost is no surprise at run time. On the
 * shared representation it makes one over the shared parameters (and one more forward pass of the trunk), and one per
 * task over what follows the representation only.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { aggregationOnRepresentation, neverTrains } from '../model.js';

export const backwardPasses: Rule = {
  name: 'backward-passes',
  run(program, ctx) {
    const aggregation = program.train.aggregation;
    if (aggregation?.v !== 'call' || aggregation.ctor.category !== 'aggregation' || !aggregation.ctor.perTaskGradients) return;
    const training = [...program.tasks.values()].filter((task) => !neverTrains(program, task));
    if (training.length < 2) return;
    // Tasks reading different feature sets train on different batches: a step differentiates one group's tasks.
    const upTo = new Set(training.map((t) => t.features)).size > 1 ? 'up to ' : '';
    const name = aggregation.ctor.name;
    if (aggregationOnRepresentation(program)) {
      ctx.report({
        code: Codes.BackwardPassesPerStep, severity: 'info',
        message: `\`${name}\` on the representation: 1 backward pass per step over the shared parameters and 1 more forward pass of them, ` +
          `and ${upTo}${training.length} over the task heads and towers alone (one per task)`,
        span: aggregation.span, label: 'on the parameters it makes one per task over the shared parameters',
      });
      return;
    }
    ctx.report({
      code: Codes.BackwardPassesPerStep, severity: 'info',
      message: `\`${name}\`: ${upTo}${training.length} backward passes per step over the shared parameters (one per task)`,
      span: aggregation.span, label: '`sum()` makes one',
    });
  },
};

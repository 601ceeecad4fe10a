/**
 * A method that works on per-task gradients (an aggregation such as pcgrad or mgda, a weighting such as gradnorm, the
 * optimizer's normalize_task_gradients) makes one backward pass per task each step over the shared parameters, where
 * `sum()` makes one: said up front (info, once, naming the first of them), so the cost is no surprise at run time. An
 * aggregation on the shared representation makes one over the shared parameters (and one more forward pass of the
 * trunk), and one per task over what follows the representation only.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { aggregationOnRepresentation, neverTrains, perTaskMethods } from '../model.js';

export const backwardPasses: Rule = {
  name: 'backward-passes',
  run(program, ctx) {
    const method = perTaskMethods(program)[0];
    if (!method) return;
    const training = [...program.tasks.values()].filter((task) => !neverTrains(program, task));
    if (training.length < 2) return;
    // Tasks reading different feature sets train on different batches: a step differentiates one group's tasks.
    const upTo = new Set(training.map((t) => t.features)).size > 1 ? 'up to ' : '';
    const representation = aggregationOnRepresentation(program);
    // On the representation nothing else differentiates each task apart over the shared parameters (MTL0409).
    if (representation && perTaskMethods(program).length === 1) {
      const { call } = representation;
      ctx.report({
        code: Codes.BackwardPassesPerStep, severity: 'info',
        message: `\`${call.ctor.name}\` on the representation: 1 backward pass per step over the shared parameters and 1 more forward pass of them, ` +
          `and ${upTo}${training.length} over the task heads and towers alone (one per task)`,
        span: call.span, label: 'on the parameters it makes one per task over the shared parameters',
      });
      return;
    }
    ctx.report({
      code: Codes.BackwardPassesPerStep, severity: 'info',
      message: `\`${method.name}\`: ${upTo}${training.length} backward passes per step over the shared parameters (one per task)`,
      span: method.span, label: '`sum()` makes one',
    });
  },
};

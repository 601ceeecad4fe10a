/**
 * A method that works on per-task gradients (an aggregation such as pcgrad or mgda, a weighting such as gradnorm, the
 * optimizer's normalize_task_gradients) makes one backward pass per task each step over the shared parameters, where
 * `sum()` makes one: said up front (info, once, naming the first of them), so the cost is no surprise at run time.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { neverTrains, perTaskMethods } from '../model.js';

export const backwardPasses: Rule = {
  name: 'backward-passes',
  run(program, ctx) {
    const method = perTaskMethods(program)[0];
    if (!method) return;
    const training = [...program.tasks.values()].filter((task) => !neverTrains(program, task));
    if (training.length < 2) return;
    // Tasks reading different feature sets train on different batches: a step differentiates one group's tasks.
    const upTo = new Set(training.map((t) => t.features)).size > 1 ? 'up to ' : '';
    ctx.report({
      code: Codes.BackwardPassesPerStep, severity: 'info',
      message: `\`${method.name}\`: ${upTo}${training.length} backward passes per step over the shared parameters (one per task)`,
      span: method.span, label: '`sum()` makes one',
    });
  },
};

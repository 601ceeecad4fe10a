/**
 * A task that can never receive a gradient is dropped by the compiler (eliminate-dead-tasks); say so, and why
 * (warning): weight 0 under static weighting, probability 0 under explicit sampling, or listed in no stage.
 * Like every warning, shown only for a program without errors (the diagnostics context sees to it).
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import { neverTrains } from '../model.js';

export const tasksThatNeverTrain: Rule = {
  name: 'tasks-that-never-train',
  run(program, ctx) {
    for (const task of program.tasks.values()) {
      const warn = (why: string, span: Span, label: string, help: string) => ctx.report({
        code: Codes.TaskNeverTrains, severity: 'warning', message: `task \`${task.name}\` never trains: ${why}`, span, label,
        secondary: span === task.symbol.decl.name?.span ? [] : [{ span: task.symbol.decl.name?.span ?? task.symbol.decl.kindSpan, message: 'the task' }],
        help: `${help}; the compiler leaves it out of the job`,
      });
      const never = neverTrains(program, task);
      if (!never) continue;
      switch (never.why) {
        case 'weight': warn('its weight is 0', never.value.span, 'weight 0', 'give it a weight above 0, or remove the task'); break;
        case 'probability': warn('its sampling probability is 0', never.value.span, 'never sampled', 'give it a probability above 0, or remove the task'); break;
        case 'stage': warn('no training stage lists it', task.symbol.decl.name?.span ?? task.symbol.decl.kindSpan, 'in no stage', 'add it to a stage\'s `tasks`'); break;
      }
    }
  },
};

/**
 * A task that can never receive a gradient is dropped by the compiler (eliminate-dead-tasks); say so, and why
 * (warning): weight 0 under static weighting, probability 0 under explicit sampling, or listed in no stage.
 * Like every warning, shown only for a program without errors (the diagnostics context sees to it).
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Span } from '../../diagnostics/diagnostic.js';

export const tasksThatNeverTrain: Rule = {
  name: 'tasks-that-never-train',
  run(program, ctx) {
    const { weighting, sampling, stages } = program.train;
    const staticWeights = weighting?.v !== 'call' || weighting.ctor.name === 'static';
    const probs = sampling?.v === 'call' && sampling.ctor.name === 'explicit' && sampling.args.probs?.v === 'record' ? sampling.args.probs : null;
    const staged = stages?.v === 'list' && stages.items.length > 0
      ? new Set(stages.items.flatMap((s) => (s.v === 'call' && s.args.tasks?.v === 'list' ? s.args.tasks.items.flatMap((t) => (t.v === 'ref' ? [t.name] : [])) : [])))
      : null;
    for (const task of program.tasks.values()) {
      const warn = (why: string, span: Span, label: string, help: string) => ctx.report({
        code: Codes.TaskNeverTrains, severity: 'warning', message: `task \`${task.name}\` never trains: ${why}`, span, label,
        secondary: span === task.symbol.decl.name?.span ? [] : [{ span: task.symbol.decl.name?.span ?? task.symbol.decl.kindSpan, message: 'the task' }],
        help: `${help}; the compiler leaves it out of the job`,
      });
      const weight = task.fields.weight;
      const prob = probs?.entries.find((e) => e.key === task.name)?.value;
      if (staticWeights && weight?.v === 'number' && weight.n === 0) {
        warn('its weight is 0', weight.span, 'weight 0', 'give it a weight above 0, or remove the task');
      } else if (prob?.v === 'number' && prob.n === 0) {
        warn('its sampling probability is 0', prob.span, 'never sampled', 'give it a probability above 0, or remove the task');
      } else if (staged && !staged.has(task.name)) {
        warn('no training stage lists it', task.symbol.decl.name?.span ?? task.symbol.decl.kindSpan, 'in no stage', 'add it to a stage\'s `tasks`');
      }
    }
  },
};

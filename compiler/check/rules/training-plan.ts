/** The training block describes a run that can happen: one length, and stages that each train something and end (all but the last). */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';

export const trainingPlan: Rule = {
  name: 'training-plan',
  run(program, ctx) {
    const train = program.train;
    const epochs = train.epochs;
    const steps = train.steps;
    if (epochs?.v === 'number' && steps?.v === 'number') {
      ctx.report({ code: Codes.TrainingLength, message: 'give `epochs` or `steps`, not both', span: steps.span, label: 'steps given', secondary: [{ span: epochs.span, message: 'epochs given' }] });
    }
    // Stages: known tasks (checked by elaboration), at least one task, a length.
    if (train.stages?.v === 'list') {
      const stages = train.stages.items;
      stages.forEach((stage, i) => {
        if (stage.v !== 'call') return;
        if (stage.args.tasks?.v === 'list' && stage.args.tasks.items.length === 0) {
          ctx.report({ code: Codes.StageTasks, message: `stage ${i + 1} trains no task`, span: stage.span, label: 'empty stage', help: 'list the tasks it trains' });
        }
        const hasEpochs = stage.args.epochs?.v === 'number';
        const hasSteps = stage.args.steps?.v === 'number';
        if (hasEpochs && hasSteps) ctx.report({ code: Codes.TrainingLength, message: `stage ${i + 1} gives both \`epochs\` and \`steps\``, span: stage.span, label: 'both given', help: 'keep one' });
        if (!hasEpochs && !hasSteps && i < stages.length - 1) {
          ctx.report({ code: Codes.TrainingLength, message: `stage ${i + 1} has no length, so the stages after it never run`, span: stage.span, label: 'no `epochs` or `steps`', help: 'only the last stage may run for the rest of training' });
        }
      });
    }
  },
};

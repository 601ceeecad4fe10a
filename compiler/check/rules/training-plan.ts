/** The training block describes a run that can happen: a length, positive sizes and rates, sane stages. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';
import type { DiagnosticsContext } from '../context.js';

function positive(ctx: DiagnosticsContext, value: Value | undefined, what: string, allowZero = false): void {
  if (value?.v !== 'number' || value.implicit) return;
  if (value.n > 0 || (allowZero && value.n === 0)) return;
  ctx.report({ code: Codes.ValueOutOfRange, message: `${what} must be ${allowZero ? 'at least 0' : 'above 0'}`, span: value.span, label: `${value.n}` });
}

function rate(ctx: DiagnosticsContext, value: Value | undefined, what: string): void {
  if (value?.v !== 'number') return;
  if (value.n >= 0 && value.n < 1) return;
  ctx.report({ code: Codes.ValueOutOfRange, message: `${what} must be in [0, 1)`, span: value.span, label: `${value.n}` });
}

/** Arguments that count or size something, wherever they appear. */
const POSITIVE_SIZES = ['dim', 'heads', 'ff', 'layers', 'experts', 'size', 'max_length', 'max_vocab', 'labels', 'classes', 'every'];

/** Walks every call in a value tree. */
function calls(value: Value | undefined, visit: (call: Extract<Value, { v: 'call' }>) => void): void {
  if (!value) return;
  if (value.v === 'call') {
    visit(value);
    value.rest.forEach((r) => calls(r, visit));
    Object.values(value.args).forEach((a) => calls(a, visit));
  } else if (value.v === 'list') value.items.forEach((i) => calls(i, visit));
  else if (value.v === 'record') value.entries.forEach((e) => calls(e.value, visit));
}

export const trainingPlan: Rule = {
  name: 'training-plan',
  run(program, ctx) {
    const train = program.train;
    const epochs = train.epochs;
    const steps = train.steps;
    if (epochs?.v === 'number' && steps?.v === 'number') {
      ctx.report({ code: Codes.TrainingLength, message: 'give `epochs` or `steps`, not both', span: steps.span, label: 'steps given', secondary: [{ span: epochs.span, message: 'epochs given' }] });
    }
    positive(ctx, epochs, '`epochs`');
    positive(ctx, steps, '`steps`');
    positive(ctx, train.batch_size, '`batch_size`');
    positive(ctx, train.eval_every, '`eval_every`');
    positive(ctx, train.shuffle_buffer, '`shuffle_buffer`');
    if (train.task_lr?.v === 'record') for (const e of train.task_lr.entries) positive(ctx, e.value, `the learning-rate multiplier of \`${e.key}\``, true);
    // Every call anywhere in the program: learning rates, dropout, layer sizes.
    // The `train` block is one of the symbols when the program has one; its defaults are checked otherwise.
    const all: Value[] = program.trainSymbol ? [] : [...Object.values(train)];
    for (const symbol of program.scope.symbols) all.push(...Object.values(symbol.fields));
    for (const value of all) {
      calls(value, (call) => {
        const a = call.args;
        if (call.ctor.category === 'optimizer' || call.ctor.category === 'schedule') positive(ctx, a.lr, 'a learning rate');
        if ('dropout' in a) rate(ctx, a.dropout, '`dropout`');
        for (const key of POSITIVE_SIZES) positive(ctx, a[key], `\`${key}\``);
        if (a.units?.v === 'list') a.units.items.forEach((u) => positive(ctx, u, 'a layer width'));
        if (a.units?.v === 'number') positive(ctx, a.units, '`units`');
        if (a.filters?.v === 'list') a.filters.items.forEach((u) => positive(ctx, u, 'a filter count'));
        if (call.ctor.name === 'mlp' && a.units?.v === 'list' && a.units.items.length === 0) {
          ctx.report({ code: Codes.ValueOutOfRange, message: 'an mlp needs at least one layer', span: a.units.span, label: 'no layers', help: 'for no layers at all use `identity()`' });
        }
      });
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

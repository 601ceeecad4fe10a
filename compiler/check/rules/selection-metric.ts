/** The model-selection metric is reported by the task it names (or, for `mean`, by at least one task). */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { taskMetrics, type TaskView } from '../model.js';

export const selectionMetric: Rule = {
  name: 'selection-metric',
  run(program, ctx) {
    const select = program.train.select;
    if (select?.v !== 'call') return;
    const metric = select.args.metric;
    const task = select.args.task;
    if (metric?.v !== 'enum' || metric.name === 'loss') return;
    const candidates = task?.v === 'ref' ? [program.tasks.get(task.name)].filter((t): t is TaskView => !!t) : [...program.tasks.values()];
    if (candidates.length === 0 || candidates.some((t) => (taskMetrics(t) as string[]).includes(metric.name))) return;
    ctx.report({
      code: Codes.SelectionMetric,
      message: task?.v === 'ref' ? `task \`${task.name}\` does not report \`${metric.name}\`` : `no task reports \`${metric.name}\``,
      span: metric.span, label: 'selection metric',
      help: `add \`${metric.name}\` to the task's \`metrics\`, or select on \`loss\``,
    });
  },
};

/**
 * Each selection metric is one its task reports: `best`'s on the task it names (or, for `mean`, on at least one
 * task), and `weighted`'s on each task it lists; a metric the task's head cannot report at all is told apart.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../rule.js';
import type { DiagnosticsContext } from '../context.js';
import { headKind, taskMetrics, type TaskView } from '../model.js';
import { heads } from '../../../stdlib/index.js';

/** Reports `metric` on `task` unless the task reports it; true when it does. */
function reportedBy(task: TaskView, metric: string, span: Span, ctx: DiagnosticsContext): boolean {
  if ((taskMetrics(task) as string[]).includes(metric)) return true;
  const head = headKind(task);
  const allowed = head ? (heads[head].metrics.allowed as readonly string[]) : null;
  if (head && allowed && !allowed.includes(metric)) {
    ctx.report({
      code: Codes.SelectionMetricHead,
      message: `task \`${task.name}\` has a \`${head}\` head, which does not report \`${metric}\``,
      span, label: 'not a metric of this head',
      help: `a \`${head}\` head reports ${allowed.map((m) => `\`${m}\``).join(', ')}; choose one of them, or \`loss\``,
    });
  } else {
    ctx.report({
      code: Codes.SelectionMetric, message: `task \`${task.name}\` does not report \`${metric}\``, span, label: 'selection metric',
      help: `add \`${metric}\` to the task's \`metrics\`, or select on \`loss\``,
    });
  }
  return false;
}

export const selectionMetric: Rule = {
  name: 'selection-metric',
  run(program, ctx) {
    const select = program.train.select;
    if (select?.v !== 'call') return;
    if (select.ctor.name === 'weighted') {
      const metrics = select.args.metrics;
      if (metrics?.v !== 'record') return;
      for (const entry of metrics.entries) {
        const task = program.tasks.get(entry.key);
        // An unknown task is task-keys' to report.
        if (task && entry.value.v === 'enum' && entry.value.name !== 'loss') reportedBy(task, entry.value.name, entry.value.span, ctx);
      }
      return;
    }
    const metric = select.args.metric;
    const named = select.args.task;
    if (metric?.v !== 'enum' || metric.name === 'loss') return;
    if (named?.v === 'ref') {
      const task = program.tasks.get(named.name);
      if (task) reportedBy(task, metric.name, metric.span, ctx);
      return;
    }
    const tasks = [...program.tasks.values()];
    if (tasks.length === 0 || tasks.some((t) => (taskMetrics(t) as string[]).includes(metric.name))) return;
    ctx.report({
      code: Codes.SelectionMetric, message: `no task reports \`${metric.name}\``, span: metric.span, label: 'selection metric',
      help: `add \`${metric.name}\` to the task's \`metrics\`, or select on \`loss\``,
    });
  },
};

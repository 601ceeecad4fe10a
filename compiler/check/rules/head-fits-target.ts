/**
 * A task's head can hold its target's type, and its loss and metrics suit the head. A task has a target unless its
 * head reads none (`objective`), and then it has none.
 */
import { Codes } from '../../diagnostics/codes.js';
import { heads } from '../../../stdlib/index.js';
import type { HeadEntry } from '../../../stdlib/heads.js';
import type { Rule } from '../rule.js';
import { taskDataset, headKind } from '../model.js';
import { targetType, type TargetProblem } from '../target.js';
import { listOf } from '../values.js';

export const headFitsTarget: Rule = {
  name: 'head-fits-target',
  run(program, ctx) {
    for (const task of program.tasks.values()) {
      const kind = headKind(task);
      const dataset = taskDataset(program, task);
      if (!kind || !task.head) continue;
      const head: HeadEntry = heads[kind];
      const target = task.fields.target;
      if (head.targets === null && task.target) {
        ctx.report({
          code: Codes.TargetNotRead, message: `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} head reads no target`, span: task.target.span, label: 'never read',
          secondary: [{ span: task.head.span, message: `${kind} head here` }],
          help: `its loss is a function of what reaches the head alone: remove \`target\``,
        });
      } else if (head.targets !== null && !task.target && target?.v === 'absent') {
        // The field is optional only for heads that read no target: for the others it is missing, as elaboration says it.
        ctx.report({
          code: Codes.MissingArgument, message: `task \`${task.name}\` needs a field \`target\``, span: target.span, label: 'no `target`',
          help: `add \`target: …\` (a column, or an expression over columns) for its ${kind} head`,
        });
      }
      if (dataset && task.target && head.targets !== null) {
        const problems: TargetProblem[] = [];
        const type = targetType(task.target, dataset.columns, problems);
        for (const p of problems) ctx.report({ code: p.code ?? Codes.TargetExpression, message: p.message, span: p.span, label: p.label, help: p.help });
        const rule = head.targets;
        if (type && !rule.types.includes(type)) {
          ctx.report({
            code: Codes.HeadTargetMismatch,
            message: `a ${kind} head cannot hold ${type === 'int' ? 'an' : 'a'} ${type} target`,
            span: task.target.span,
            label: `this target is ${type}`,
            secondary: [{ span: task.head.span, message: `${kind} head here` }],
            help: rule.help,
          });
        }
      }
      const loss = task.fields.loss;
      const { losses, metrics } = head;
      if (loss?.v === 'call' && !(losses.allowed as string[]).includes(loss.ctor.name)) {
        ctx.report({
          code: Codes.LossUnsuitedToHead, message: `loss \`${loss.ctor.name}\` does not suit a ${kind} head`, span: loss.span, label: 'unsuitable loss',
          help: `a ${kind} head trains with ${losses.allowed.map((l) => `\`${l}\``).join(' or ')}`,
        });
      }
      for (const metric of listOf(task.fields.metrics)) {
        if (metric.v === 'call' && !(metrics.allowed as string[]).includes(metric.ctor.name)) {
          ctx.report({
            code: Codes.MetricUnsuitedToHead, message: `metric \`${metric.ctor.name}\` does not apply to a ${kind} head`, span: metric.span, label: 'unsuitable metric',
            help: `a ${kind} head reports ${metrics.allowed.map((m) => `\`${m}\``).join(', ')}`,
          });
        }
      }
    }
  },
};

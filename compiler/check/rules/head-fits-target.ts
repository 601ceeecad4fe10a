/** A task's head can hold its target's type, and its loss and metrics suit the head. */
import { Codes } from '../../diagnostics/codes.js';
import { lossesForHead, metricsForHead } from '../../../stdlib/catalog.js';
import type { Rule } from '../rule.js';
import { taskDataset, headKind, type ColumnType } from '../model.js';
import { targetType, type TargetProblem } from '../target.js';
import { listOf } from '../values.js';

const accepted: Record<string, { types: ColumnType[]; help: string }> = {
  binary: { types: ['bool', 'int'], help: 'a binary head needs true/false (or 0/1): compare the column, e.g. `target: income == "50000+."`' },
  multiclass: { types: ['int', 'string', 'bool'], help: 'a multiclass head needs a class id (int) or a class name (string)' },
  multilabel: { types: ['list<int>', 'list<bool>', 'list<float>'], help: 'a multilabel head needs a list of 0/1 per row' },
  regression: { types: ['float', 'int', 'bool'], help: 'a regression head needs a number; for classes use `binary` or `multiclass`' },
  tagging: { types: ['list<string>', 'list<int>'], help: 'a tagging head needs one label per token: a list column aligned with the tokens' },
  span: { types: ['list<int>'], help: 'a span head needs [start, end] token positions' },
  dense: { types: ['list<int>', 'list<float>'], help: 'a dense head needs a label per pixel' },
};

export const headFitsTarget: Rule = {
  name: 'head-fits-target',
  run(program, ctx) {
    for (const task of program.tasks.values()) {
      const kind = headKind(task);
      const dataset = taskDataset(program, task);
      if (!kind || !task.head) continue;
      if (dataset && task.target) {
        const problems: TargetProblem[] = [];
        const type = targetType(task.target, dataset.columns, problems);
        for (const p of problems) ctx.report({ code: Codes.TargetExpression, message: p.message, span: p.span, label: p.label });
        const rule = accepted[kind];
        if (type && rule && !rule.types.includes(type)) {
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
      if (loss?.v === 'call' && !lossesForHead[kind]?.includes(loss.ctor.name)) {
        ctx.report({
          code: Codes.LossUnsuitedToHead, message: `loss \`${loss.ctor.name}\` does not suit a ${kind} head`, span: loss.span, label: 'unsuitable loss',
          help: `a ${kind} head trains with ${lossesForHead[kind]!.map((l) => `\`${l}\``).join(' or ')}`,
        });
      }
      for (const metric of listOf(task.fields.metrics)) {
        if (metric.v === 'call' && !metricsForHead[kind]?.includes(metric.ctor.name)) {
          ctx.report({
            code: Codes.MetricUnsuitedToHead, message: `metric \`${metric.ctor.name}\` does not apply to a ${kind} head`, span: metric.span, label: 'unsuitable metric',
            help: `a ${kind} head reports ${metricsForHead[kind]!.map((m) => `\`${m}\``).join(', ')}`,
          });
        }
      }
    }
  },
};

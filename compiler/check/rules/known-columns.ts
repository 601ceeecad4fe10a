/** Every column a program reads (transforms, targets, split columns) is declared in its dataset's `columns`. */
import { Codes } from '../../diagnostics/codes.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../rule.js';
import { taskDataset, type DatasetView } from '../model.js';
import { targetColumns } from '../target.js';
import type { DiagnosticsContext } from '../context.js';

function checkColumn(ctx: DiagnosticsContext, dataset: DatasetView, name: string, span: Span): void {
  // Columns that did not elaborate were reported there; a column declared with a bad type is still declared.
  const columns = dataset.symbol.fields.columns;
  if (columns?.v !== 'record' || columns.entries.some((e) => e.key === name)) return;
  ctx.report({
    code: Codes.UnknownColumn,
    message: `dataset \`${dataset.name}\` has no column \`${name}\``,
    span,
    label: 'not among its columns',
    secondary: [{ span: dataset.symbol.decl.name?.span ?? dataset.symbol.decl.kindSpan, message: 'the dataset is declared here' }],
    help: ctx.lazy(() => ctx.didYouMean(name, [...dataset.columns.keys()]) ?? `declare it in the dataset's \`columns\` with its type, e.g. \`${name}: float\``),
  });
}

export const knownColumns: Rule = {
  name: 'known-columns',
  run(program, ctx) {
    for (const dataset of program.datasets.values()) {
      const split = dataset.split;
      if (split.v === 'call' && split.args.column?.v === 'column') checkColumn(ctx, dataset, split.args.column.name, split.args.column.span);
    }
    for (const features of program.features.values()) {
      const dataset = features.dataset ? program.datasets.get(features.dataset) : undefined;
      if (!dataset) continue;
      for (const t of features.transforms) checkColumn(ctx, dataset, t.column.name, t.column.span);
    }
    for (const task of program.tasks.values()) {
      const dataset = taskDataset(program, task);
      if (!dataset || !task.target) continue;
      for (const name of targetColumns(task.target)) checkColumn(ctx, dataset, name.name, name.span);
    }
  },
};

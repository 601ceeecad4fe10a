/** Every dataset's files match at least one file on disk (relative to the program), and every task reads a dataset. */
import * as path from 'node:path';
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { datasetDir } from '../model.js';

export const taskHasData: Rule = {
  name: 'task-has-data',
  run(program, ctx) {
    for (const dataset of program.datasets.values()) {
      const fileRoot = datasetDir(program, dataset);
      if (dataset.files.length === 0 && dataset.symbol.fields.files?.v === 'list') {
        ctx.report({ code: Codes.DatasetWithoutFiles, message: `dataset \`${dataset.name}\` lists no files`, span: dataset.symbol.fields.files.span, label: 'empty', help: 'give at least one Arrow file or glob' });
      }
      for (const file of dataset.files) {
        // Outside the root the confined host lists nothing, and files-inside-root says why.
        if (program.root?.escape(file.pattern, fileRoot) || program.host.glob(file.pattern, fileRoot).length > 0) continue;
        const tasks = [...program.tasks.values()].filter((t) => t.features && program.features.get(t.features)?.dataset === dataset.name).map((t) => `\`${t.name}\``);
        ctx.report({
          code: Codes.NoData,
          message: `no file matches \`${file.pattern}\``,
          span: file.span,
          label: `looked in ${path.isAbsolute(file.pattern) ? path.dirname(file.pattern) : path.join(fileRoot, path.dirname(file.pattern))}`,
          help: `${tasks.length ? `tasks ${tasks.join(', ')} would have no data; ` : ''}paths are relative to the program's file, and only regular files are data (not a directory, device or named pipe); CSV files can be converted with \`mtl data import FILE.csv -o FILE.arrow\``,
        });
      }
    }
    for (const features of program.features.values()) {
      if (features.dataset && features.symbol.fields.transforms?.v === 'list' && features.symbol.fields.transforms.items.length === 0) {
        ctx.report({ code: Codes.FeaturesWithoutTransforms, message: `features \`${features.name}\` have no transforms`, span: features.symbol.fields.transforms.span, label: 'empty', help: 'list at least one, e.g. `standardize(age)`' });
      }
    }
  },
};

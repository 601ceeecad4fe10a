/**
 * The declared `columns` of a dataset are in its first Arrow file, with types they can be read as: checked against the
 * file's footer (its schema), so a mismatch is reported at the declaration rather than by `mtl run`. A file that is
 * missing or unreadable is left to task-has-data and the runtime.
 */
import * as path from 'node:path';
import { Codes } from '../../diagnostics/codes.js';
import { readableAs } from '../../data/arrow-schema.js';
import type { Rule } from '../rule.js';
import { datasetDir } from '../model.js';

export const columnsInFile: Rule = {
  name: 'columns-in-file',
  run(program, ctx) {
    const { host } = program;
    if (!host.arrowSchema) return;
    for (const dataset of program.datasets.values()) {
      const first = dataset.files[0];
      if (!first) continue;
      const fileRoot = datasetDir(program, dataset);
      const match = host.glob(first.pattern, fileRoot)[0];
      if (match === undefined) continue;
      const schema = host.arrowSchema(path.resolve(fileRoot, match));
      if (!schema) continue;
      for (const [name, column] of dataset.columns) {
        const found = schema.get(name);
        if (found === undefined) {
          ctx.report({
            code: Codes.ColumnNotInFile, message: `column \`${name}\` is not in \`${match}\``, span: column.span, label: 'not in the file',
            help: `the file has ${[...schema.keys()].map((c) => `\`${c}\``).join(', ')}`,
          });
        } else if (!readableAs(column.type, found)) {
          ctx.report({
            code: Codes.ColumnTypeInFile, message: `column \`${name}\` is declared ${column.type} but \`${match}\` holds ${found}`, span: column.span,
            label: `${found} in the file`, help: `declare it with the type the file holds, or convert the file`,
          });
        }
      }
    }
  },
};

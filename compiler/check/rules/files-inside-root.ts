/**
 * Under a root (`CompileOptions.root`), every dataset file or glob stays inside it once symlinks and `..` are resolved:
 * a service compiling other people's programs must not let one read the machine's files. The confined host has
 * already refused to read them; this says so at the `files` string.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { datasetDir } from '../model.js';

export const filesInsideRoot: Rule = {
  name: 'files-inside-root',
  run(program, ctx) {
    const { root } = program;
    if (!root) return;
    for (const dataset of program.datasets.values()) {
      for (const file of dataset.files) {
        if (root.escape(file.pattern, datasetDir(program, dataset)) === null) continue;
        ctx.report({
          code: Codes.OutsideRoot, message: `\`${file.pattern}\` is outside the root directory \`${root.dir}\``, span: file.span, label: 'outside the root',
          help: `this compilation reads files under \`${root.dir}\` only (symlinks and \`..\` resolved)`,
        });
      }
    }
  },
};

/** A split by files names files of its dataset, and no training file is also a validation or test file. */
import * as path from 'node:path';
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { stringOf } from '../values.js';

const SPLITS = ['train', 'valid', 'test'] as const;

export const splitFiles: Rule = {
  name: 'split-files',
  run(program, ctx) {
    for (const dataset of program.datasets.values()) {
      const split = dataset.split;
      if (split.v !== 'call' || split.ctor.name !== 'files') continue;
      const fileRoot = path.dirname(dataset.symbol.decl.span.file);
      const resolve = (pattern: string) => program.host.glob(pattern, fileRoot).map((m) => path.resolve(fileRoot, m));
      const datasetFiles = new Set(dataset.files.flatMap((f) => resolve(f.pattern)));
      // Files matching no pattern of `files` are task-has-data's (MTL0204); nothing to compare with then.
      if (datasetFiles.size === 0) continue;
      const matched: Record<(typeof SPLITS)[number], string[]> = { train: [], valid: [], test: [] };
      for (const name of SPLITS) {
        const value = split.args[name];
        const pattern = stringOf(value);
        if (pattern === null || !value) continue;
        matched[name] = resolve(pattern).filter((f) => datasetFiles.has(f));
        if (matched[name].length === 0) {
          ctx.report({
            code: Codes.SplitFileNotInDataset, message: `the \`${name}\` split's \`${pattern}\` matches none of dataset \`${dataset.name}\`'s files`, span: value.span,
            label: 'not among its files', help: `name one of ${[...datasetFiles].map((f) => `"${path.relative(fileRoot, f)}"`).join(', ')} (paths are relative to the program's file)`,
          });
        }
      }
      const overlap = matched.train.find((f) => matched.valid.includes(f) || matched.test.includes(f));
      if (overlap !== undefined) {
        const other = matched.valid.includes(overlap) ? 'valid' : 'test';
        ctx.report({
          code: Codes.SplitFilesOverlap, message: `\`${path.relative(fileRoot, overlap)}\` is both a training and a ${other === 'valid' ? 'validation' : 'test'} file`,
          span: split.args.train!.span, label: 'trains on it', help: `a row trains or is held out, not both: give \`${other}\` other files`,
        });
      }
    }
  },
};

/**
 * The training plan names only tasks the program trains. Only the entry file's names make an imported task train, so
 * this is about a `train` block that comes from an imported file and names one of that file's tasks the entry file
 * does not (tasks named by no file at all are unknown names: elaboration and task-keys report them).
 */
import * as path from 'node:path';
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { declarationFields } from '../../../stdlib/index.js';
import { walkTaskNames } from '../walk.js';

export const trainedTaskReferences: Rule = {
  name: 'trained-task-references',
  run(program, ctx) {
    walkTaskNames(program.train, declarationFields.train, (name, span) => {
      if (program.tasks.has(name) || !program.scope.get('task', name)) return;
      ctx.report({
        code: Codes.UntrainedTaskReference, message: `task \`${name}\` is imported but the program does not train it`, span, label: 'not trained',
        help: `an imported task trains only when \`${path.basename(program.entry)}\` names it: in a share, or in its \`train\` block's \`tasks\``,
      });
    });
  },
};

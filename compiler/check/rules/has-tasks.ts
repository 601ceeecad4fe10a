/** A program trains at least one task. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';

export const hasTasks: Rule = {
  name: 'has-tasks',
  // A file refused unparsed (too deep, binary) or a broken declaration may be where the tasks were.
  afterSyntaxErrors: false,
  run(program, ctx) {
    if (program.tasks.size > 0) return;
    const file = program.entry;
    ctx.report({ code: Codes.NoTasks, message: 'the program declares no task', span: { file, start: 0, end: 0 }, label: 'nothing to train', help: 'declare one: `task name { features: ..., target: ..., head: binary }`' });
  },
};

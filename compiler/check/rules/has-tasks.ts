/** A program trains at least one task: its own, or an imported one it names. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';

/** How many imported tasks the help lists before "…". */
const LISTED = 5;

export const hasTasks: Rule = {
  name: 'has-tasks',
  // A file refused unparsed (too deep, binary) or a broken declaration may be where the tasks were.
  afterSyntaxErrors: false,
  run(program, ctx) {
    if (program.tasks.size > 0) return;
    const span = { file: program.entry, start: 0, end: 0 };
    const imported = program.scope.ofKind('task').map((s) => `\`${s.name}\``);
    if (imported.length === 0) {
      ctx.report({ code: Codes.NoTasks, message: 'the program declares no task', span, label: 'nothing to train', help: 'declare one: `task name { features: ..., target: ..., head: binary }`' });
      return;
    }
    const listed = imported.slice(0, LISTED).join(', ') + (imported.length > LISTED ? `, and ${imported.length - LISTED} more` : '');
    ctx.report({
      code: Codes.NoTasks, message: 'the program trains no task: it declares none, and names none of the tasks it imports', span, label: 'nothing to train',
      help: `an imported task trains only when this file names it: list the ones to train in \`train { tasks: [...] }\` or a share (imported: ${listed})`,
    });
  },
};

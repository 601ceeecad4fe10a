/**
 * A share relates two tasks or more. With one, a scheme that works between its tasks (`needsTwoTasks`: cross_stitch
 * mixes their columns, soft ties them) has nothing to work on: an error. Any other scheme is a single model that
 * shares nothing: a warning, since it still trains. A share of no task is unused-definitions' business. An imported
 * share written over several tasks, of which the program trains one, is judged as written (no warning: the library's
 * share is fine), except that a scheme that needs two tasks cannot run on the one left: an error.
 */
import { Codes } from '../../diagnostics/codes.js';
import { listOf } from '../values.js';
import type { Rule } from '../rule.js';

export const shareTaskCount: Rule = {
  name: 'share-task-count',
  run(program, ctx) {
    for (const share of program.shares.values()) {
      const only = share.tasks[0];
      if (!share.entry || !only || new Set(share.tasks.map((t) => t.name)).size !== 1) continue;
      const { needsTwoTasks } = share.entry;
      const written = new Set(listOf(share.call?.args.tasks).flatMap((t) => (t.v === 'ref' ? [t.name] : [])));
      if (written.size > 1) {
        if (needsTwoTasks) {
          ctx.report({
            code: Codes.ShareNeedsTwoTasks, message: `\`${share.scheme}\` needs two tasks or more, and the program trains one of share \`${share.name}\`'s tasks`, span: only.span, label: 'the only one trained',
            help: `\`${share.scheme}\` ${needsTwoTasks}: name another of its tasks (${[...written].filter((t) => t !== only.name).map((t) => `\`${t}\``).join(', ')}) in the program's \`train\` block's \`tasks\``,
          });
        }
        continue;
      }
      if (needsTwoTasks) {
        ctx.report({
          code: Codes.ShareNeedsTwoTasks, message: `\`${share.scheme}\` needs two tasks or more, and share \`${share.name}\` gives it one`, span: only.span, label: 'its only task',
          help: `\`${share.scheme}\` ${needsTwoTasks}: list the other tasks, or give \`${only.name}\` a backbone of its own (\`backbone: …\` in the task) and drop the share`,
        });
      } else {
        ctx.report({
          code: Codes.ShareOfOneTask, severity: 'warning', message: `share \`${share.name}\` has one task, so it shares nothing`, span: only.span, label: 'its only task',
          help: `list the tasks that should share it, or give \`${only.name}\` a backbone of its own (\`backbone: …\` in the task) and drop the share`,
        });
      }
    }
  },
};

/** Two declarations of the same kind may not share a name (one `train` per program). */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';

export const duplicateNames: Rule = {
  name: 'duplicate-names',
  run(program, ctx) {
    for (const { first, again } of program.scope.duplicates) {
      const what = again.kind === 'train' && !again.name ? 'a second `train` block' : `${again.kind} \`${again.name}\``;
      ctx.report({
        code: Codes.DuplicateName,
        message: again.kind === 'train' && !again.name ? 'the program has two `train` blocks' : `${again.kind} \`${again.name}\` is declared twice`,
        span: again.decl.name?.span ?? again.decl.kindSpan,
        label: `${what} declared again here`,
        secondary: [{ span: first.decl.name?.span ?? first.decl.kindSpan, message: 'first declared here' }],
        help: again.kind === 'train' ? 'merge them into one' : 'rename one of them',
      });
    }
  },
};

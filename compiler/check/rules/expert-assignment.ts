/**
 * An `mmoe` share's `assign`, when given, routes experts by task: it lists every task of the share, each with some of
 * the share's experts (indices below `experts`), and gives every expert to at least one task.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';

export const expertAssignment: Rule = {
  name: 'expert-assignment',
  run(program, ctx) {
    for (const share of program.shares.values()) {
      const assign = share.call?.args.assign;
      const count = share.call?.args.experts;
      if (share.scheme !== 'mmoe' || assign?.v !== 'record' || assign.entries.length === 0 || count?.v !== 'number') continue;
      const members = new Set(share.tasks.map((t) => t.name));
      const used = new Set<number>();
      for (const entry of assign.entries) {
        if (!members.has(entry.key)) {
          ctx.report({
            code: Codes.ExpertAssignment, message: `\`assign\` gives experts to \`${entry.key}\`, which is not a task of share \`${share.name}\``,
            span: entry.keySpan, label: 'not among the share\'s tasks', help: `assign experts to the share's tasks: ${[...members].map((t) => `\`${t}\``).join(', ')}`,
          });
        }
        if (entry.value.v !== 'list') continue;
        if (entry.value.items.length === 0) {
          ctx.report({
            code: Codes.ExpertAssignment, message: `\`assign\` gives task \`${entry.key}\` no expert`, span: entry.value.span, label: 'empty',
            help: 'a task mixes at least one expert: list the indices of its experts, from 0',
          });
        }
        for (const item of entry.value.items) {
          if (item.v !== 'number') continue;
          if (item.n < 0 || item.n >= count.n) {
            ctx.report({
              code: Codes.ValueOutOfRange, message: `expert ${item.n} does not exist: share \`${share.name}\` has experts 0 to ${count.n - 1}`,
              span: item.span, label: 'not an expert of the share', help: `experts are numbered from 0 to ${count.n - 1}${count.implicit ? ` (\`experts\` is ${count.n} by default)` : ''}`,
            });
          } else used.add(item.n);
        }
      }
      const given = new Set(assign.entries.map((e) => e.key));
      for (const task of share.tasks.filter((t) => !given.has(t.name))) {
        ctx.report({
          code: Codes.ExpertAssignment, message: `\`assign\` gives task \`${task.name}\` of share \`${share.name}\` no experts`,
          span: task.span, label: 'has no entry in `assign`', secondary: [{ span: assign.span, message: 'the assignment' }],
          help: `add \`${task.name}: [...]\` to \`assign\` with the indices of its experts`,
        });
      }
      const unused = Array.from({ length: count.n }, (_, k) => k).filter((k) => !used.has(k));
      if (unused.length > 0 && used.size > 0) {
        ctx.report({
          code: Codes.ExpertAssignment, message: `\`assign\` gives expert${unused.length === 1 ? '' : 's'} ${unused.join(', ')} of share \`${share.name}\` to no task`,
          span: assign.span, label: 'never mixed', help: `give each expert to a task, or lower \`experts\` to the ones used`,
        });
      }
    }
  },
};

/** A record keyed by names (a dataset's `columns`, `probs`, `task_lr`, `metrics`, `weights`) gives each key once. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import { walkProgram } from '../walk.js';

export const keysOnce: Rule = {
  name: 'keys-once',
  run(program, ctx) {
    walkProgram(program, (value, place) => {
      const type = place.param?.type;
      if (value.v !== 'record' || place.key !== null || type?.t !== 'record' || !type.keys) return;
      const firstAt = new Map<string, Span>();
      for (const entry of value.entries) {
        const first = firstAt.get(entry.key);
        if (first) ctx.report({ code: Codes.DuplicateArgument, message: `${type.keys} \`${entry.key}\` is given twice`, span: entry.keySpan, label: 'again here', secondary: [{ span: first, message: 'first here' }] });
        else firstAt.set(entry.key, entry.keySpan);
      }
    });
  },
};

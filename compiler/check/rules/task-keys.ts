/** Records keyed by task name (`explicit(probs: {...})`, `task_lr: {...}`) name only declared tasks, each once. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';
import type { DiagnosticsContext } from '../context.js';
import type { CheckedProgram } from '../model.js';
import { declarationFields } from '../../../stdlib/index.js';
import { walkFields } from '../walk.js';

function checkKeys(record: Extract<Value, { v: 'record' }>, program: CheckedProgram, ctx: DiagnosticsContext): void {
  const seen = new Map<string, Extract<Value, { v: 'record' }>['entries'][number]>();
  for (const entry of record.entries) {
    if (!program.tasks.has(entry.key)) {
      ctx.report({ code: Codes.UnknownName, message: `unknown task \`${entry.key}\``, span: entry.keySpan, label: 'not declared', help: ctx.lazy(() => ctx.didYouMean(entry.key, [...program.tasks.keys()])) });
    }
    const first = seen.get(entry.key);
    if (first) ctx.report({ code: Codes.DuplicateArgument, message: `task \`${entry.key}\` is given twice`, span: entry.keySpan, label: 'again here', secondary: [{ span: first.keySpan, message: 'first here' }] });
    seen.set(entry.key, entry);
  }
}

export const taskKeys: Rule = {
  name: 'task-keys',
  run(program, ctx) {
    walkFields(program.train, declarationFields.train, (value, place) => {
      if (value.v === 'record' && place.key === null && place.param?.type.t === 'record' && place.param.type.keys === 'task') checkKeys(value, program, ctx);
    });
  },
};

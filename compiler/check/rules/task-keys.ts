/** Records keyed by task name (`explicit(probs: {...})`, `task_lr: {...}`) name only declared tasks (each once: keys-once). */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';
import type { DiagnosticsContext } from '../context.js';
import type { CheckedProgram } from '../model.js';
import { declarationFields } from '../../../stdlib/index.js';
import { walkFields, isTaskRecord } from '../walk.js';

function checkKeys(record: Extract<Value, { v: 'record' }>, program: CheckedProgram, ctx: DiagnosticsContext): void {
  for (const entry of record.entries) {
    // An imported task the program does not train is declared: trained-task-references says what to do.
    if (!program.tasks.has(entry.key) && !program.scope.get('task', entry.key)) {
      ctx.report({ code: Codes.UnknownName, message: `unknown task \`${entry.key}\``, span: entry.keySpan, label: 'not declared', help: ctx.lazy(() => ctx.didYouMean(entry.key, [...program.tasks.keys()])) });
    }
  }
}

export const taskKeys: Rule = {
  name: 'task-keys',
  run(program, ctx) {
    walkFields(program.train, declarationFields.train, (value, place) => {
      if (isTaskRecord(value, place)) checkKeys(value, program, ctx);
    });
  },
};

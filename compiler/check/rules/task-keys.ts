/** Records keyed by task name (`explicit(probs: {...})`, `task_lr: {...}`) name only declared tasks, each once. */
import { Codes } from '../../diagnostics/codes.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';
import type { DiagnosticsContext } from '../context.js';
import type { CheckedProgram } from '../model.js';

export function taskKeyedRecords(value: Value | undefined, out: Extract<Value, { v: 'record' }>[] = []): Extract<Value, { v: 'record' }>[] {
  if (!value) return out;
  if (value.v === 'call') {
    for (const param of value.ctor.params) {
      const arg = value.args[param.name];
      if (param.type.t === 'record' && param.type.keys === 'task' && arg?.v === 'record') out.push(arg);
      else taskKeyedRecords(arg, out);
    }
  } else if (value.v === 'list') value.items.forEach((i) => taskKeyedRecords(i, out));
  return out;
}

function checkKeys(record: Extract<Value, { v: 'record' }>, program: CheckedProgram, ctx: DiagnosticsContext): void {
  const seen = new Map<string, Extract<Value, { v: 'record' }>['entries'][number]>();
  for (const entry of record.entries) {
    if (!program.tasks.has(entry.key)) {
      ctx.report({ code: Codes.UnknownName, message: `unknown task \`${entry.key}\``, span: entry.keySpan, label: 'not declared', help: didYouMean(entry.key, program.tasks.keys()) });
    }
    const first = seen.get(entry.key);
    if (first) ctx.report({ code: Codes.DuplicateArgument, message: `task \`${entry.key}\` is given twice`, span: entry.keySpan, label: 'again here', secondary: [{ span: first.keySpan, message: 'first here' }] });
    seen.set(entry.key, entry);
  }
}

export const taskKeys: Rule = {
  name: 'task-keys',
  run(program, ctx) {
    const train = program.train;
    if (train.task_lr?.v === 'record') checkKeys(train.task_lr, program, ctx);
    for (const record of taskKeyedRecords(train.sampling)) checkKeys(record, program, ctx);
  },
};

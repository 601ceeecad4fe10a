/** Explicit sampling probabilities cover every task and sum to 1, and a temperature's cap leaves room for every task. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';
import type { DiagnosticsContext } from '../context.js';
import type { CheckedProgram } from '../model.js';
import { walkValue } from '../walk.js';

/** One sampling call (a scheduled one's phases are walked to on their own). */
function checkSampling(value: Extract<Value, { v: 'call' }>, program: CheckedProgram, ctx: DiagnosticsContext): void {
  if (value.ctor.name === 'temperature') {
    // A cap outside (0, 1] is value-limits'; here, one too small for the number of tasks.
    const cap = value.args.cap;
    const tasks = program.tasks.size;
    if (cap?.v === 'number' && cap.n > 0 && cap.n <= 1 && cap.n * tasks < 1 - 1e-9) {
      ctx.report({
        code: Codes.SamplingProbabilities, message: `a cap of ${cap.n} cannot hold for ${tasks} task${tasks === 1 ? '' : 's'}`, span: cap.span, label: 'impossible cap',
        help: `the cap must be in (0, 1] and at least 1/${tasks} so probabilities can sum to 1`,
      });
    }
    return;
  }
  if (value.ctor.name !== 'explicit' || value.args.probs?.v !== 'record') return;
  const probs = value.args.probs;
  let sum = 0;
  for (const entry of probs.entries) {
    if (entry.value.v !== 'number') continue;
    sum += entry.value.n;
  }
  const given = new Set(probs.entries.map((e) => e.key));
  const missing = [...program.tasks.keys()].filter((t) => !given.has(t));
  if (missing.length) {
    ctx.report({ code: Codes.SamplingProbabilities, message: `explicit sampling gives no probability to ${missing.map((t) => `\`${t}\``).join(', ')}`, span: probs.span, label: 'incomplete', help: 'give every task a probability (0 to never sample it)' });
  }
  if (Math.abs(sum - 1) > 1e-6) {
    ctx.report({
      code: Codes.SamplingProbabilities, message: `sampling probabilities sum to ${+sum.toFixed(6)}, not 1`, span: probs.span,
      label: probs.entries.map((e) => (e.value.v === 'number' ? e.value.n : '?')).join(' + '), help: 'make them sum to 1, or use `proportional()` or `temperature(t: 2)`',
    });
  }
}

export const samplingProbabilities: Rule = {
  name: 'sampling-probabilities',
  run(program, ctx) {
    walkValue(program.train.sampling, (value) => {
      if (value.v === 'call' && value.ctor.category === 'sampling') checkSampling(value, program, ctx);
    });
  },
};

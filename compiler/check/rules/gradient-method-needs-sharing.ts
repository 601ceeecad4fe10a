/**
 * Gradient methods that work on per-task gradients of shared parameters (pcgrad, cagrad, mgda, gradnorm) need
 * at least two tasks that share parameters. LibMTL finds this out at backward time; we say it before training.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';

const NEEDS_SHARED = new Set(['pcgrad', 'cagrad', 'mgda', 'gradnorm']);
/** Schemes whose tasks hold parameters in common; cross-stitch and soft sharing give each task its own column. */
const SHARES_PARAMETERS = new Set(['hard', 'adapters', 'mmoe']);

export const gradientMethodNeedsSharing: Rule = {
  name: 'gradient-method-needs-sharing',
  run(program, ctx) {
    const methods = [program.train.aggregation, program.train.weighting].filter((v): v is Extract<Value, { v: 'call' }> => v?.v === 'call' && NEEDS_SHARED.has(v.ctor.name));
    if (methods.length === 0) return;
    const sharing = [...program.shares.values()].filter((s) => s.scheme && SHARES_PARAMETERS.has(s.scheme) && s.tasks.length >= 2);
    if (sharing.length > 0) return;
    const others = [...program.shares.values()].filter((s) => s.call);
    for (const method of methods) {
      ctx.report({
        code: Codes.GradientMethodNeedsSharing,
        message: `\`${method.ctor.name}\` combines per-task gradients of shared parameters, but no two tasks share parameters`,
        span: method.span,
        label: 'needs shared parameters',
        secondary: others.map((s) => ({ span: s.call!.span, message: `\`${s.scheme}\` gives each task its own parameters` })),
        help: 'share a backbone with `hard(...)`, `adapters(...)` or `mmoe(...)`, or use `aggregation: sum()`',
      });
    }
  },
};

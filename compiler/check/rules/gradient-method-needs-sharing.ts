/**
 * Gradient methods that work on per-task gradients of shared parameters (pcgrad, cagrad, mgda, gradnorm, the
 * optimizer's normalize_task_gradients) need at least two tasks that share parameters. LibMTL finds this out at
 * backward time; we say it before training.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { perTaskMethods } from '../model.js';
import { orList } from '../../util/or-list.js';
import { sharing as schemes } from '../../../stdlib/index.js';

/** The schemes whose tasks hold parameters in common, as help lists them: "`hard(...)`, `adapters(...)` or `mmoe(...)`". */
const sharingParameters = orList(Object.entries(schemes).filter(([, e]) => e.layout.kind !== 'column per task').map(([name]) => `\`${name}(...)\``));

export const gradientMethodNeedsSharing: Rule = {
  name: 'gradient-method-needs-sharing',
  run(program, ctx) {
    const methods = perTaskMethods(program);
    if (methods.length === 0) return;
    // A column per task (cross-stitch, soft) gives each task parameters of its own.
    const sharing = [...program.shares.values()].filter((s) => s.entry && s.entry.layout.kind !== 'column per task' && s.tasks.length >= 2);
    if (sharing.length > 0) return;
    const others = [...program.shares.values()].filter((s) => s.call);
    for (const method of methods) {
      ctx.report({
        code: Codes.GradientMethodNeedsSharing,
        message: `\`${method.name}\` ${method.does}, but no two tasks share parameters`,
        span: method.span,
        label: 'needs shared parameters',
        secondary: others.map((s) => ({ span: s.call!.span, message: `\`${s.scheme}\` gives each task its own parameters` })),
        help: `share a backbone with ${sharingParameters}, or ${method.instead}`,
      });
    }
  },
};

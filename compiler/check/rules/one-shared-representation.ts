/**
 * An aggregation `on: representation` differentiates each task's loss with respect to one representation that every
 * task reads: the output of one backbone shared by a scheme whose tasks all read it alike (`hard`), at one depth.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../rule.js';
import { backboneDepth } from '../backbone.js';
import { aggregationOnRepresentation, neverTrains, type ShareView, type TaskView } from '../model.js';

const NEEDS = '`on: representation` needs one representation that every task reads';
const INSTEAD = 'or take the gradients of the shared parameters (`on: parameters`)';

export const oneSharedRepresentation: Rule = {
  name: 'one-shared-representation',
  run(program, ctx) {
    const asked = aggregationOnRepresentation(program);
    if (!asked || !('form' in asked.entry.representation)) return;
    const tasks = [...program.tasks.values()].filter((task) => !neverTrains(program, task));
    if (tasks.length < 2) return;
    const report = (message: string, span: Span, label: string, help: string, secondary: { span: Span; message: string }[] = []) =>
      ctx.report({
        code: Codes.NoSharedRepresentation, message: `${NEEDS}, but ${message}`, span, label,
        secondary: [...secondary, { span: asked.on.span, message: 'the aggregation takes the gradients of the representation' }],
        help: `${help}, ${INSTEAD}`,
      });

    /** The layers of the shared backbone a task's head reads after: its `depth`, or all of them. */
    const depthOf = (task: TaskView, share: ShareView) => {
      const depth = task.fields.depth;
      return depth?.v === 'number' ? depth.n : share.backbone ? backboneDepth(share.backbone, program) : null;
    };
    const refIn = (share: ShareView, task: TaskView) => share.tasks.find((t) => t.name === task.name)!.span;

    let first: { task: TaskView; share: ShareView } | null = null;
    for (const task of tasks) {
      const share = task.share;
      if (!share?.call || !share.entry) {
        report(`task \`${task.name}\` is in no share`, task.symbol.decl.name?.span ?? task.symbol.decl.kindSpan, 'in no share', `list \`${task.name}\` in the \`hard\` share of the other tasks`);
        return;
      }
      if (share.entry.perTaskRepresentation !== null) {
        report(`\`${share.scheme}\` ${share.entry.perTaskRepresentation}`, share.call.span, `share \`${share.name}\` gives each task a representation of its own`, 'share one backbone with `hard(...)`');
        return;
      }
      if (!first) {
        first = { task, share };
        continue;
      }
      if (share !== first.share) {
        report(
          `tasks \`${first.task.name}\` and \`${task.name}\` read different shares (\`${first.share.name}\` and \`${share.name}\`)`,
          refIn(share, task), `\`${task.name}\` reads \`${share.name}\``, 'share one backbone between all the tasks',
          [{ span: refIn(first.share, first.task), message: `\`${first.task.name}\` reads \`${first.share.name}\`` }],
        );
        return;
      }
      const [a, b] = [depthOf(first.task, share), depthOf(task, share)];
      if (a !== b) {
        const given = task.fields.depth?.v === 'number' ? task.fields.depth : first.task.fields.depth!;
        report(
          `tasks \`${first.task.name}\` and \`${task.name}\` read \`${share.name}\`'s backbone at different depths (${a ?? 'all its layers'} and ${b ?? 'all its layers'})`,
          given.span, 'a head at another depth', 'attach every head at one depth',
        );
        return;
      }
    }
  },
};

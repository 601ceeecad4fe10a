/**
 * A task belongs to at most one share and then has no private backbone; tasks that share a backbone read feature
 * sets of one layout (a shared first layer has one input width, and soft sharing ties columns of one shape).
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { FeaturesView } from '../model.js';
import { isOf } from '../../../stdlib/index.js';

/**
 * Feature sets of different datasets can feed one shared layer when their widths are known without data (the
 * transforms' `widthWithoutData`): the same such transforms of the same columns. Vocabulary-based ones are only
 * compatible with themselves.
 */
function inputLayout(features: FeaturesView): string {
  const knownWidth = features.transforms.every((t) => isOf(t.call.ctor, 'transform') && t.call.ctor.widthWithoutData);
  return knownWidth ? features.transforms.map((t) => `${t.name}:${t.column.name}`).join(',') : `features:${features.name}`;
}

export const oneSharePerTask: Rule = {
  name: 'one-share-per-task',
  run(program, ctx) {
    const firstShare = new Map<string, { share: string; span: { file: string; start: number; end: number } }>();
    for (const share of program.shares.values()) {
      const inThisShare = new Set<string>();
      for (const t of share.tasks) {
        if (inThisShare.has(t.name)) {
          ctx.report({ code: Codes.TaskListedTwiceInShare, message: `task \`${t.name}\` is listed twice in share \`${share.name}\``, span: t.span, label: 'listed again' });
          continue;
        }
        inThisShare.add(t.name);
        const first = firstShare.get(t.name);
        if (first) {
          ctx.report({
            code: Codes.TaskInTwoShares, message: `task \`${t.name}\` is in two shares, \`${first.share}\` and \`${share.name}\``, span: t.span, label: `also in \`${share.name}\``,
            secondary: [{ span: first.span, message: `in \`${first.share}\` here` }], help: 'a task reads one shared backbone; for a task-specific part use `tower:` on the task',
          });
        } else firstShare.set(t.name, { share: share.name, span: t.span });
      }
      const featureSets = new Map<string, { task: string; span: typeof share.tasks[number]['span'] }>();
      const layouts = new Set<string>();
      for (const t of share.tasks) {
        const task = program.tasks.get(t.name);
        const features = task?.features ? program.features.get(task.features) : undefined;
        if (!task?.features || !features) continue;
        layouts.add(inputLayout(features));
        if (!featureSets.has(task.features)) featureSets.set(task.features, { task: t.name, span: t.span });
      }
      // Column-per-task schemes need it too: soft sharing ties the columns' parameters, which needs their shapes equal.
      // A scheme that mixes rows (cross-stitch) needs one feature set, which its own rule says (MTL0310).
      if (layouts.size > 1 && !share.entry?.mixesRows) {
        const [[fa, a], [fb, b]] = [...featureSets.entries()] as [[string, { task: string; span: typeof share.tasks[number]['span'] }], [string, { task: string; span: typeof share.tasks[number]['span'] }]];
        ctx.report({
          code: Codes.SharedAcrossDatasets, message: `tasks sharing \`${share.name}\` read different features (\`${fa}\` and \`${fb}\`)`, span: b.span,
          label: `\`${b.task}\` reads \`${fb}\``, secondary: [{ span: a.span, message: `\`${a.task}\` reads \`${fa}\`` }],
          help: share.entry?.layout.kind === 'column per task'
            ? 'tied columns need one input layout: give these tasks the same `features`, or feature sets with the same numeric transforms of the same columns'
            : 'shared parameters need one input layout: give these tasks the same `features`, or feature sets with the same numeric transforms of the same columns',
        });
      }
    }
    for (const task of program.tasks.values()) {
      const own = task.fields.backbone;
      if (task.share && own && own.v !== 'absent' && own.v !== 'error') {
        ctx.report({
          code: Codes.PrivateBackboneInShare, message: `task \`${task.name}\` has its own backbone but is also in share \`${task.share.name}\``, span: own.span, label: 'private backbone',
          help: 'remove `backbone:` (the share provides it) or take the task out of the share; task-specific layers go in `tower:`',
        });
      }
    }
  },
};

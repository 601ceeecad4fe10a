/**
 * A `sampling` the program gives chooses between batch groups; when every task that trains reads one feature set
 * there is one group, each step trains all of them on one batch, and the sampling changes nothing (warning). Only
 * said of a program without errors, like the other warnings.
 */
import { Codes } from '../../diagnostics/codes.js';
import { declarationFields } from '../../../stdlib/index.js';
import { printValue } from '../../render/print-source.js';
import type { Rule } from '../rule.js';
import { neverTrains } from '../model.js';

const DEFAULT_SAMPLING = declarationFields.train.find((p) => p.name === 'sampling')?.default;

export const samplingHasEffect: Rule = {
  name: 'sampling-has-effect',
  run(program, ctx) {
    const sampling = program.train.sampling;
    // The default written out (as `mtl render` writes every default) chooses nothing either way.
    if (sampling?.v !== 'call' || sampling.implicit || printValue(sampling) === DEFAULT_SAMPLING) return;
    const fates = [...program.tasks.values()].map((task) => ({ task, never: neverTrains(program, task) }));
    // A probability of 0 drops its task from the job: that is an effect (tasks-that-never-train says so).
    if (fates.some((f) => f.never?.why === 'probability')) return;
    const featureSets = new Set(fates.filter((f) => !f.never).map((f) => f.task.features));
    if (featureSets.size !== 1) return;
    const [features] = [...featureSets];
    if (!features) return;
    ctx.report({
      code: Codes.SamplingWithoutEffect, severity: 'warning',
      message: `\`sampling\` has no effect: every task reads feature set \`${features}\`, so each step trains all of them on one batch`,
      span: sampling.span, label: 'changes nothing',
      help: 'remove it; sampling chooses between tasks that read different feature sets (or datasets)',
    });
  },
};

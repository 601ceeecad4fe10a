/** Every check rule, in the order their diagnostics read best. Add a rule: one file here, one line below. */
import type { Rule } from '../rule.js';
import { duplicateNames } from './duplicate-names.js';
import { knownColumns } from './known-columns.js';
import { transformColumnTypes } from './transform-column-types.js';
import { headFitsTarget } from './head-fits-target.js';
import { headFitsBackbone } from './head-fits-backbone.js';
import { taskHasData } from './task-has-data.js';
import { columnsInFile } from './columns-in-file.js';
import { filesInsideRoot } from './files-inside-root.js';
import { trainedTaskReferences } from './trained-task-references.js';
import { splitRatios } from './split-ratios.js';
import { splitFiles } from './split-files.js';
import { taskKeys } from './task-keys.js';
import { keysOnce } from './keys-once.js';
import { samplingProbabilities } from './sampling-probabilities.js';
import { gradientMethodNeedsSharing } from './gradient-method-needs-sharing.js';
import { backboneCycles } from './backbone-cycles.js';
import { taskDependencyGraph } from './task-dependency-graph.js';
import { oneSharePerTask } from './one-share-per-task.js';
import { trainingPlan } from './training-plan.js';
import { valueLimits } from './value-limits.js';
import { runsToday } from './runs-today.js';
import { selectionMetric } from './selection-metric.js';
import { hasTasks } from './has-tasks.js';
import { unusedDefinitions } from './unused-definitions.js';
import { tasksThatNeverTrain } from './tasks-that-never-train.js';
import { crossStitchOneInput } from './cross-stitch-one-input.js';
import { shareTaskCount } from './share-task-count.js';
import { shareBackboneLayers } from './share-backbone-layers.js';
import { samplingHasEffect } from './sampling-has-effect.js';
import { backwardPasses } from './backward-passes.js';
import { representationForm } from './representation-form.js';
import { oneSharedRepresentation } from './one-shared-representation.js';
import { representationWeighting } from './representation-weighting.js';
import { moeExperts } from './moe-experts.js';
import { expertAssignment } from './expert-assignment.js';

export const rules: Rule[] = [
  duplicateNames, knownColumns, transformColumnTypes, headFitsTarget, backboneCycles, taskDependencyGraph, headFitsBackbone, taskHasData, filesInsideRoot, columnsInFile,
  splitRatios, splitFiles, taskKeys, keysOnce, trainedTaskReferences, valueLimits, samplingProbabilities, gradientMethodNeedsSharing, oneSharePerTask, shareTaskCount, shareBackboneLayers, crossStitchOneInput,
  representationForm, oneSharedRepresentation, representationWeighting, trainingPlan, selectionMetric, hasTasks, runsToday, unusedDefinitions, tasksThatNeverTrain, samplingHasEffect,
  backwardPasses, moeExperts, expertAssignment,
];

/** The runtime's public API: run a job, evaluate a run, and the pieces they are made of. */
export { runJob, evalRun, type RunOptions, type RunSummary, type EvalOptions } from './run.js';
export { train, type TrainOptions, type TrainResult, type EpochRecord } from './train/train.js';
export { evaluate, type SplitScores, type TaskScores } from './train/evaluate.js';
export { BestWeights, selectionScore, paretoEpochs, relativeChange, type Evaluation, type ParetoEpoch, type SelectionState } from './train/selection.js';
export { makeTrainStep, type TrainStep, type TrainStepOptions } from './train/step.js';
export { makeOptimizer, type Optimizer } from './train/optimizer.js';
export { makeWeighting, type LossWeighting } from './train/weightings/index.js';
export { makeAggregator, type Aggregator, type TaskGradients } from './train/aggregators/index.js';
export { taskProbabilities, groupSampler } from './train/sampling.js';
export { learningRate } from './train/schedule.js';
export { buildModel } from './model/build.js';
export { saveWeights, loadWeights } from './model/weights.js';
export type { MtlModel, Param, HeadInfo } from './model/types.js';
export * from './serving/index.js';
export { exportModel, type ExportOptions } from './export/export.js';

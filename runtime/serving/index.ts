/**
 * Serving a trained model (`mtl/serving`): load a model package or a run directory and predict, with no compiler and
 * no training code (test/architecture/dependencies.test.ts keeps it so).
 */
export { loadModel, loadPackage, RowsError, type LoadedModel, type LoadOptions, type EncodedRows, type SharedRows, type CachePoint, type RowOutputs } from './load.js';
export type { TaskOutput, TaskPredictionBatch } from './outputs.js';
export { PACKAGE_FORMAT, PACKAGE_VERSION, readPackage, type PackageManifest, type PackageTask, type InferenceJob, type ModelPackage, type Distribution } from './package-format.js';
export { predictFile, rejectedFileOf, type PredictFileOptions, type PredictFileResult } from './predict-file.js';

/** The data layer's public API: the loader, the saved fitted features, and the CSV importer. */
export type { Batch, BatchOptions, FittedFeatures, JobData, LabelData, OpenJobDataOptions, SplitName, TensorData } from './api.js';
export { openJobData, loadFitted, saveFitted } from './loader.js';
export { importCsv, parseColumnSpec, type CsvColumnSpec, type CsvColumnType, type ImportCsvOptions, type ImportCsvResult } from './csv-import.js';
export { PAD_TOKEN, UNKNOWN_TOKEN, PAD_ID, UNKNOWN_ID } from './vocab.js';

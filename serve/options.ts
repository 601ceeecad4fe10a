/** What `mtl serve` can be told, with its defaults (the flags of the command are these, one each). */

export interface HealthOptions {
  /** A task whose drift score (PSI) is over this is unhealthy. */
  driftThreshold: number;
  /** Rows a task must have served before its drift is judged. */
  minPredictions: number;
  /** How many of a task's latest predictions its drift is measured over. */
  driftWindow: number;
  /** A task whose recent requests failed in the server more often than this share is unhealthy. */
  maxErrorRatio: number;
}

export interface ServeOptions extends HealthOptions {
  host: string;
  port: number;
  /** How long the first request of a micro-batch waits for others; 0 runs each request alone. */
  batchWindowMs: number;
  /** A micro-batch runs as soon as it holds this many rows. */
  maxBatchRows: number;
  /** The feature cache's bound in bytes; 0 turns the cache off. */
  cacheBytes: number;
  cacheTtlMs: number;
  /** false: run the backbone once per requested task (for the benchmark's comparison only). */
  backboneOnce: boolean;
  /** The largest request body, in bytes (413 over it). */
  bodyLimit: number;
  /** The most rows one request may carry. */
  maxRequestRows: number;
  /** The TensorFlow.js backend (as `mtl run --backend`); default the fastest that loads. */
  backend?: string;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: 8080,
  batchWindowMs: 2,
  maxBatchRows: 512,
  cacheBytes: 64 * 1024 * 1024,
  cacheTtlMs: 10 * 60 * 1000,
  backboneOnce: true,
  bodyLimit: 1024 * 1024,
  maxRequestRows: 1000,
  driftThreshold: 0.25,
  minPredictions: 200,
  driftWindow: 5000,
  maxErrorRatio: 0.05,
};

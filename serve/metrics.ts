/**
 * The Prometheus metrics of one server (`GET /metrics`), on a registry of its own so two servers in one process (the
 * tests, the bench) never share counters. Per task of each model version: requests, errors by kind, latency, the
 * drift score and health; the feature cache's hits, misses, hit ratio and bytes; the rows of each micro-batch.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type TaskLabels = { model: string; version: string; task: string };
/** `bad_request`: the request was refused (4xx); `internal`: the server failed it (5xx). */
export type ErrorKind = 'bad_request' | 'internal';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'model' | 'version' | 'task'>;
  readonly errors: Counter<'model' | 'version' | 'task' | 'kind'>;
  readonly latency: Histogram<'model' | 'version' | 'task'>;
  readonly drift: Gauge<'model' | 'version' | 'task'>;
  readonly healthy: Gauge<'model' | 'version' | 'task'>;
  readonly batchRows: Histogram;

  constructor(cache: { readonly hits: number; readonly misses: number; readonly hitRatio: number; readonly bytes: number } | null) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'mtl_task_requests_total', help: 'requests that asked for this task', labelNames: ['model', 'version', 'task'], registers });
    this.errors = new Counter({ name: 'mtl_task_errors_total', help: 'requests for this task that got no predictions, by kind: bad_request (4xx) or internal (5xx)', labelNames: ['model', 'version', 'task', 'kind'], registers });
    this.latency = new Histogram({
      name: 'mtl_task_request_duration_seconds',
      help: 'time from a request\'s arrival to its predictions, for each task it asked for',
      labelNames: ['model', 'version', 'task'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.drift = new Gauge({ name: 'mtl_task_prediction_drift', help: 'population stability index of the served predictions against the validation split\'s at export (the largest over the task\'s output columns)', labelNames: ['model', 'version', 'task'], registers });
    this.healthy = new Gauge({ name: 'mtl_task_healthy', help: '1 when the task is healthy (drift and internal error ratio under their thresholds), else 0', labelNames: ['model', 'version', 'task'], registers });
    // The cache counts for itself; the counters read it when scraped.
    new Counter({ name: 'mtl_feature_cache_hits_total', help: 'rows whose shared features came from the cache', registers, collect() { this.reset(); this.inc(cache?.hits ?? 0); } });
    new Counter({ name: 'mtl_feature_cache_misses_total', help: 'rows whose shared features were computed', registers, collect() { this.reset(); this.inc(cache?.misses ?? 0); } });
    new Gauge({ name: 'mtl_feature_cache_hit_ratio', help: 'hits / (hits + misses) since the server started', registers, collect() { this.set(cache?.hitRatio ?? 0); } });
    new Gauge({ name: 'mtl_feature_cache_bytes', help: 'bytes the feature cache holds', registers, collect() { this.set(cache?.bytes ?? 0); } });
    this.batchRows = new Histogram({ name: 'mtl_batch_rows', help: 'rows per backbone pass (a micro-batch of concurrent requests)', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers });
    collectDefaultMetrics({ register: this.registry });
  }
}

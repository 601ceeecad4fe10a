/**
 * One task of one model version as the server watches it: requests, errors, recent latencies, the drift of its
 * predictions, and whether it is healthy. Unhealthy when, after `minPredictions` served rows, the drift score is over
 * the threshold, or when over the last requests (at least `MIN_REQUESTS_FOR_ERROR_RATIO`) the share the server
 * failed is over `maxErrorRatio`. Refused requests (4xx) are counted but do not make a task unhealthy: they are the
 * client's mistakes, not the model's.
 */
import type { PackageTask, PackageManifest } from '../runtime/serving/package-format.js';
import { ColumnDrift } from './drift.js';
import type { ErrorKind, ServerMetrics, TaskLabels } from './metrics.js';
import type { HealthOptions } from './options.js';

const LATENCY_WINDOW = 1000;
const OUTCOME_WINDOW = 100;
const MIN_REQUESTS_FOR_ERROR_RATIO = 10;

export interface TaskHealth {
  readonly healthy: boolean;
  /** Why not, in words; empty when healthy. */
  readonly reasons: string[];
  readonly requests: number;
  readonly errors: Record<ErrorKind, number>;
  readonly predictions: number;
  /** Per output column, its drift score (null until `minPredictions` rows were served). */
  readonly drift: Record<string, number | null>;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
}

export class TaskMonitor {
  private requests = 0;
  private readonly errors: Record<ErrorKind, number> = { bad_request: 0, internal: 0 };
  private readonly latencies: number[] = [];
  private readonly failed: boolean[] = [];
  private readonly columns: Map<string, ColumnDrift>;
  private readonly labels: TaskLabels;

  constructor(model: PackageManifest, readonly task: PackageTask, private readonly options: HealthOptions, private readonly metrics: ServerMetrics) {
    this.labels = { model: model.name, version: model.id, task: task.name };
    this.columns = new Map(
      task.outputs.flatMap((o) => {
        const recorded = model.validation.distributions[o.name];
        return recorded ? [[o.name, new ColumnDrift(recorded, options.driftWindow)] as const] : [];
      }),
    );
    metrics.healthy.set(this.labels, 1);
  }

  /** A request for this task was answered: its latency, and each output column's values for its rows. */
  served(latencyMs: number, columns: ReadonlyMap<string, ArrayLike<number> | readonly string[]>): void {
    this.count(false);
    this.metrics.latency.observe(this.labels, latencyMs / 1000);
    this.latencies.push(latencyMs);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
    for (const [name, values] of columns) {
      const drift = this.columns.get(name);
      if (drift) for (let i = 0; i < values.length; i++) drift.add(values[i]!);
    }
    this.publish();
  }

  failedWith(kind: ErrorKind): void {
    this.count(kind === 'internal');
    this.errors[kind]++;
    this.metrics.errors.inc({ ...this.labels, kind });
    this.publish();
  }

  health(): TaskHealth {
    const { reasons, drift } = this.assess();
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    const predictions = Math.max(0, ...[...this.columns.values()].map((c) => c.served));
    return { healthy: reasons.length === 0, reasons, requests: this.requests, errors: { ...this.errors }, predictions, drift, latencyMs: { p50: at(0.5), p99: at(0.99) } };
  }

  private assess(): { reasons: string[]; drift: Record<string, number | null> } {
    const reasons: string[] = [];
    const drift: Record<string, number | null> = {};
    for (const [name, column] of this.columns) {
      const enough = column.served >= this.options.minPredictions;
      const score = enough ? column.score() : null;
      drift[name] = score;
      if (score !== null && score > this.options.driftThreshold) reasons.push(`${name} drifted: PSI ${score.toFixed(3)} over the last ${column.served} predictions, threshold ${this.options.driftThreshold}`);
    }
    if (this.failed.length >= MIN_REQUESTS_FOR_ERROR_RATIO) {
      const ratio = this.failed.filter(Boolean).length / this.failed.length;
      if (ratio > this.options.maxErrorRatio) reasons.push(`${(100 * ratio).toFixed(0)}% of the last ${this.failed.length} requests failed in the server, threshold ${(100 * this.options.maxErrorRatio).toFixed(0)}%`);
    }
    return { reasons, drift };
  }

  private count(failedInServer: boolean): void {
    this.requests++;
    this.metrics.requests.inc(this.labels);
    this.failed.push(failedInServer);
    if (this.failed.length > OUTCOME_WINDOW) this.failed.shift();
  }

  private publish(): void {
    const { reasons, drift } = this.assess();
    const scores = Object.values(drift).filter((s): s is number => s !== null);
    this.metrics.drift.set(this.labels, scores.length ? Math.max(...scores) : 0);
    this.metrics.healthy.set(this.labels, reasons.length === 0 ? 1 : 0);
  }
}

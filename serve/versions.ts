/**
 * The models a server holds: each name has one or more versions (packages with the same `name` and different `id`s)
 * side by side, one of them active (what a request gets unless it pins one with `?version=`). Activating another
 * version only moves the pointer, so requests already running on the old one finish on it; rollback activates the
 * version that was active before. A version loaded while the server runs is built first and made visible only once
 * it is whole; a version unloaded is disposed when its last request in flight is done.
 */
import { resolve } from 'node:path';
import { loadModel, type LoadedModel } from '../runtime/serving/load.js';
import type { PackageManifest } from '../runtime/serving/package-format.js';
import type { FeatureCache } from './feature-cache.js';
import { conflict, notFound } from './http-error.js';
import type { ServerMetrics } from './metrics.js';
import { MicroBatcher } from './micro-batcher.js';
import type { ServeOptions } from './options.js';
import { runPass, type PassRequest, type PassResult } from './pass.js';
import { RowValidator } from './request-schema.js';
import { TaskMonitor } from './task-health.js';

export class ServedVersion {
  readonly manifest: PackageManifest;
  readonly monitors: ReadonlyMap<string, TaskMonitor>;
  readonly rows: RowValidator;
  readonly batcher: MicroBatcher<PassRequest, PassResult>;
  readonly loadedAt = new Date().toISOString();
  inFlight = 0;
  unloading = false;
  private disposed = false;

  constructor(readonly dir: string, readonly model: LoadedModel, options: ServeOptions, metrics: ServerMetrics, cache: FeatureCache | null) {
    this.manifest = model.manifest;
    this.monitors = new Map(model.tasks.map((t) => [t.name, new TaskMonitor(model.manifest, t, options, metrics)]));
    this.rows = new RowValidator(model.manifest);
    const context = { model, version: model.manifest.id, cache, backboneOnce: options.backboneOnce, onPass: (rows: number) => metrics.batchRows.observe(rows) };
    this.batcher = new MicroBatcher({ windowMs: options.batchWindowMs, maxRows: options.maxBatchRows }, (requests) => runPass(context, requests));
  }

  get id(): string {
    return this.manifest.id;
  }

  dispose(): void {
    if (!this.disposed) this.model.dispose();
    this.disposed = true;
  }
}

export class ServedModel {
  readonly versions = new Map<string, ServedVersion>();
  /** The versions activated, in order; the last is the active one. */
  readonly activations: string[] = [];

  constructor(readonly name: string) {}

  get active(): ServedVersion {
    return this.versions.get(this.activations.at(-1)!)!;
  }
}

export class ModelRegistry {
  readonly models = new Map<string, ServedModel>();

  constructor(private readonly options: ServeOptions, private readonly metrics: ServerMetrics, private readonly cache: FeatureCache | null) {}

  /**
   * Loads the package (or run directory) in `dir` beside the versions already held; active if `activate` or the first.
   * `expectedName`: refuse a package of another model (loading through the endpoint of one model).
   */
  async load(dir: string, options: { activate?: boolean; expectedName?: string } = {}): Promise<ServedVersion> {
    const model = await loadModel(resolve(dir), this.options.backend === undefined ? {} : { backend: this.options.backend });
    const { name, id } = model.manifest;
    if (options.expectedName !== undefined && name !== options.expectedName) {
      model.dispose();
      throw conflict(`${dir} holds model \`${name}\`, not \`${options.expectedName}\``);
    }
    const held = this.models.get(name);
    if (held?.versions.has(id)) {
      model.dispose();
      throw conflict(`model \`${name}\` already has version ${id} (from ${held.versions.get(id)!.dir})`);
    }
    const version = new ServedVersion(resolve(dir), model, this.options, this.metrics, this.cache);
    const served = held ?? new ServedModel(name);
    served.versions.set(id, version);
    this.models.set(name, served);
    if (options.activate !== false || served.activations.length === 0) served.activations.push(id);
    return version;
  }

  /** At startup: each model's versions activated in the order they were created, so the newest is active and rollback goes back in time. */
  activateNewest(): void {
    for (const model of this.models.values()) {
      const byAge = [...model.versions.values()].sort((a, b) => a.manifest.created.localeCompare(b.manifest.created));
      model.activations.splice(0, model.activations.length, ...byAge.map((v) => v.id));
    }
  }

  model(name: string): ServedModel {
    const model = this.models.get(name);
    if (!model) throw notFound(`no model \`${name}\` is served (models: ${[...this.models.keys()].join(', ') || 'none'})`);
    return model;
  }

  /** The version a request runs on: the pinned one, or the active one. */
  version(name: string, pinned?: string): ServedVersion {
    const model = this.model(name);
    if (pinned === undefined) return model.active;
    const version = model.versions.get(pinned);
    if (!version || version.unloading) throw notFound(`model \`${name}\` has no version ${pinned} (versions: ${[...model.versions.keys()].join(', ')})`);
    return version;
  }

  activate(name: string, id: string): ServedVersion {
    const version = this.version(name, id);
    const model = this.model(name);
    if (model.active !== version) model.activations.push(id);
    return version;
  }

  /** Activates the version that was active before the current one. */
  rollback(name: string): ServedVersion {
    const model = this.model(name);
    const current = model.active.id;
    const previous = [...model.activations].reverse().find((id) => id !== current && model.versions.has(id));
    if (previous === undefined) throw conflict(`model \`${name}\` has no earlier version to roll back to (active: ${current})`);
    model.activations.push(previous);
    return model.active;
  }

  /** Stops serving a version that is not the active one; it is disposed when its requests in flight are done. */
  unload(name: string, id: string): void {
    const version = this.version(name, id);
    const model = this.model(name);
    if (model.active === version) throw conflict(`version ${id} is the active version of \`${name}\`: activate another before unloading it`);
    version.unloading = true;
    model.versions.delete(id);
    for (let i = model.activations.indexOf(id); i >= 0; i = model.activations.indexOf(id)) model.activations.splice(i, 1);
    this.cache?.dropVersion(id);
    this.releaseIfDone(version);
  }

  /** Runs `work` with the version counted in flight, so it is not disposed under it. */
  async using<T>(version: ServedVersion, work: () => Promise<T>): Promise<T> {
    version.inFlight++;
    try {
      return await work();
    } finally {
      version.inFlight--;
      this.releaseIfDone(version);
    }
  }

  dispose(): void {
    for (const model of this.models.values()) for (const version of model.versions.values()) version.dispose();
    this.models.clear();
  }

  private releaseIfDone(version: ServedVersion): void {
    if (version.unloading && version.inFlight === 0) version.dispose();
  }
}

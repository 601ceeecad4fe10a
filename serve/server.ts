/**
 * The model server (`mtl serve`): fastify routes over the registry of model versions.
 *
 *   POST   /v1/models/NAME:predict[?version=V]      {"rows": [...], "tasks": [...]} → {"model", "version", "predictions"}
 *   GET    /v1/models                                the models, their versions and tasks
 *   GET    /v1/models/NAME                           one model, with the JSON Schema of its requests
 *   GET    /v1/models/NAME/tasks/TASK/health         200 healthy, 503 not (with the reasons)
 *   POST   /v1/models/NAME/versions                  {"path": DIR, "activate": true} loads a version
 *   POST   /v1/models/NAME/versions/V:activate       makes V the version requests get
 *   POST   /v1/models/NAME:rollback                  activates the version active before
 *   DELETE /v1/models/NAME/versions/V                unloads V (disposed when its requests are done)
 *   GET    /v1/status, /, /metrics                   the status as JSON, as a page, as Prometheus metrics
 *
 * Every refusal is a 4xx with `{"error", "message", "field"?}` naming what was wrong; nothing a client sends throws
 * out of a handler (a failure of the server itself is a 500 and is logged).
 */
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { RowOutputs } from '../runtime/serving/load.js';
import { RowsError } from '../runtime/serving/load.js';
import { outputKind } from '../runtime/serving/outputs.js';
import { FeatureCache } from './feature-cache.js';
import { badRequest, HttpError, notFound } from './http-error.js';
import { ServerMetrics } from './metrics.js';
import { DEFAULT_SERVE_OPTIONS, type ServeOptions } from './options.js';
import { envelopeSchema, envelopeValidator, rowSchema } from './request-schema.js';
import { statusPage } from './status-page.js';
import { ModelRegistry, type ServedModel, type ServedVersion } from './versions.js';

export interface ModelServer {
  readonly app: FastifyInstance;
  readonly registry: ModelRegistry;
  readonly cache: FeatureCache | null;
  readonly metrics: ServerMetrics;
  /** Stops taking requests, finishes those in flight, then disposes every model. */
  close(): Promise<void>;
}

interface PredictBody {
  rows: Record<string, unknown>[];
  tasks?: string[];
}

/** `census:predict` as its name and verb (the verb after the last colon). */
function nameAndVerb(target: string, verbs: readonly string[]): { name: string; verb: string } {
  const at = target.lastIndexOf(':');
  const verb = at < 0 ? '' : target.slice(at + 1);
  if (!verbs.includes(verb)) throw notFound(`no such endpoint: expected ${verbs.map((v) => `\`…/NAME:${v}\``).join(' or ')}, found \`${target}\``);
  return { name: target.slice(0, at), verb };
}

const statusText: Record<number, string> = { 400: 'bad request', 404: 'not found', 409: 'conflict', 413: 'payload too large', 415: 'unsupported media type', 500: 'internal error', 503: 'unavailable' };

/** Fastify's own refusals (the body's parsing, size and type) in the server's words. */
function describeFastifyError(error: FastifyError, bodyLimit: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is over the server's limit of ${bodyLimit} bytes (--body-limit-kb); send fewer rows per request`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `the request body must be JSON (content-type: application/json), found ${error.message.replace(/^Unsupported Media Type:?\s*/i, '') || 'another type'}`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the request body is empty; expected a JSON object with `rows`';
    default:
      return error.message;
  }
}

export async function createServer(dirs: readonly string[], given: Partial<ServeOptions> = {}, log: (line: string) => void = () => {}): Promise<ModelServer> {
  const options: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...given };
  const cache = options.cacheBytes > 0 ? new FeatureCache({ maxBytes: options.cacheBytes, ttlMs: options.cacheTtlMs }) : null;
  const metrics = new ServerMetrics(cache);
  const registry = new ModelRegistry(options, metrics, cache);
  try {
    for (const dir of dirs) await registry.load(dir);
    registry.activateNewest();
  } catch (error) {
    registry.dispose();
    throw error;
  }
  const app = Fastify({ bodyLimit: options.bodyLimit, logger: false, return503OnClosing: true });
  // Requests are JSON; anything else is a 415, not a string the handler would have to refuse.
  app.removeContentTypeParser('text/plain');
  const startedAt = new Date();
  const checkEnvelope = envelopeValidator(options.maxRequestRows);

  // JSON.parse's own message says where the text stops being JSON.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '') return done(badRequest('the request body is empty; expected a JSON object with `rows`'), undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (e) {
      done(badRequest(`the request body is not valid JSON: ${(e as Error).message}`, 'body'), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const status = error instanceof HttpError ? error.statusCode : error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      log(`internal error on ${request.method} ${request.url}: ${error.stack ?? error.message}`);
      return reply.code(500).send({ error: statusText[500], message: `internal error: this is a bug in mtl (${error.message})` });
    }
    const message = error instanceof HttpError ? error.message : describeFastifyError(error, options.bodyLimit);
    return reply.code(status).send({ error: statusText[status] ?? 'client error', message, ...(error instanceof HttpError && error.field ? { field: error.field } : {}) });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: statusText[404], message: `no endpoint ${request.method} ${request.url.split('?')[0]} (see GET /v1/models)` }));

  const pinned = (query: unknown): string | undefined => {
    const version = (query as { version?: unknown }).version;
    if (version !== undefined && typeof version !== 'string') throw badRequest('version: expected one version id', 'version');
    return version;
  };

  app.post<{ Params: { target: string } }>('/v1/models/:target', async (request) => {
    const { name, verb } = nameAndVerb(request.params.target, ['predict', 'rollback']);
    if (verb === 'rollback') return describeVersion(registry.model(name), registry.rollback(name));
    const started = performance.now();
    const version = registry.version(name, pinned(request.query));
    const malformed = checkEnvelope(request.body);
    if (malformed) throw malformed;
    const body = request.body as PredictBody;
    const tasks = body.tasks ?? version.model.tasks.map((t) => t.name);
    const unknown = tasks.filter((t) => !version.monitors.has(t));
    if (unknown.length > 0) throw notFound(`model \`${name}\` has no task ${unknown.map((t) => `\`${t}\``).join(', ')} (its tasks: ${[...version.monitors.keys()].join(', ')})`);
    const monitors = tasks.map((t) => version.monitors.get(t)!);
    return registry.using(version, async () => {
      const refused = version.rows.check(body.rows, tasks);
      if (refused) {
        for (const m of monitors) m.failedWith('bad_request');
        throw refused;
      }
      let result;
      try {
        const encoded = version.model.encode(body.rows, tasks);
        result = await version.batcher.submit({ rows: body.rows, tasks, encoded }, body.rows.length);
      } catch (error) {
        const isBad = error instanceof RowsError;
        for (const m of monitors) m.failedWith(isBad ? 'bad_request' : 'internal');
        throw isBad ? badRequest(error.message.split('\n').map((line) => line.replace(/^row (\d+): column `([^`]+)`/, 'rows[$1].$2')).join('\n'), 'rows') : error;
      }
      const predictions: RowOutputs[] = body.rows.map(() => ({}));
      const latency = performance.now() - started;
      for (const monitor of monitors) {
        const { task } = monitor;
        const batch = result.get(task.name)!;
        const kind = outputKind(task.head);
        predictions.forEach((row, i) => (row[task.name] = kind.row(batch, i)));
        const columns = kind.columns(batch);
        monitor.served(latency, new Map(task.outputs.map((o, i) => [o.name, columns[i]!])));
      }
      return { model: name, version: version.id, predictions };
    });
  });

  app.get<{ Params: { name: string; task: string } }>('/v1/models/:name/tasks/:task/health', async (request, reply) => {
    const version = registry.version(request.params.name, pinned(request.query));
    const monitor = version.monitors.get(request.params.task);
    if (!monitor) throw notFound(`model \`${request.params.name}\` has no task \`${request.params.task}\` (its tasks: ${[...version.monitors.keys()].join(', ')})`);
    const health = monitor.health();
    return reply.code(health.healthy ? 200 : 503).send({ model: request.params.name, version: version.id, task: request.params.task, ...health });
  });

  app.get('/v1/models', async () => ({ models: [...registry.models.values()].map(describeModel) }));
  app.get<{ Params: { name: string } }>('/v1/models/:name', async (request) => {
    const model = registry.model(request.params.name);
    const { manifest } = model.active;
    const schema = envelopeSchema(options.maxRequestRows) as { properties: { rows: { items: object }; tasks: { items: object } } };
    schema.properties.rows.items = rowSchema(manifest, manifest.tasks.map((t) => t.name));
    schema.properties.tasks.items = { enum: manifest.tasks.map((t) => t.name) };
    return { ...describeModel(model), requestSchema: schema };
  });

  app.post<{ Params: { name: string }; Body: { path?: unknown; activate?: unknown } }>('/v1/models/:name/versions', async (request) => {
    const body = (request.body ?? {}) as { path?: unknown; activate?: unknown };
    if (typeof body.path !== 'string') throw badRequest(`path: expected the directory of a model package (a string), found ${JSON.stringify(body.path) ?? 'nothing'}`, 'path');
    if (body.activate !== undefined && typeof body.activate !== 'boolean') throw badRequest(`activate: expected true or false, found ${JSON.stringify(body.activate)}`, 'activate');
    const version = await registry.load(body.path, { activate: body.activate !== false, expectedName: request.params.name }).catch((error: unknown) => {
      if (error instanceof Error && error.name === 'UserError') throw badRequest(`path: ${error.message}`, 'path');
      throw error;
    });
    log(`loaded ${version.manifest.name} ${version.id} from ${version.dir}${registry.model(version.manifest.name).active === version ? ' (active)' : ''}`);
    return describeVersion(registry.model(version.manifest.name), version);
  });
  app.post<{ Params: { name: string; target: string } }>('/v1/models/:name/versions/:target', async (request) => {
    const { name: id } = nameAndVerb(request.params.target, ['activate']);
    const version = registry.activate(request.params.name, id);
    log(`activated ${request.params.name} ${id}`);
    return describeVersion(registry.model(request.params.name), version);
  });
  app.delete<{ Params: { name: string; version: string } }>('/v1/models/:name/versions/:version', async (request) => {
    registry.unload(request.params.name, request.params.version);
    log(`unloaded ${request.params.name} ${request.params.version}`);
    return describeModel(registry.model(request.params.name));
  });

  app.get('/v1/status', async () => ({
    startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    settings: { batchWindowMs: options.batchWindowMs, maxBatchRows: options.maxBatchRows, cacheBytes: options.cacheBytes, driftThreshold: options.driftThreshold, minPredictions: options.minPredictions },
    cache: cache && { hits: cache.hits, misses: cache.misses, hitRatio: cache.hitRatio, bytes: cache.bytes, entries: cache.size },
    models: [...registry.models.values()].map(describeModel),
  }));
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(statusPage));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  return {
    app,
    registry,
    cache,
    metrics,
    close: async () => {
      await app.close();
      registry.dispose();
    },
  };
}

function describeVersion(model: ServedModel, version: ServedVersion) {
  const { manifest } = version;
  return {
    id: version.id,
    active: model.active === version,
    created: manifest.created,
    loadedAt: version.loadedAt,
    dir: version.dir,
    inFlight: version.inFlight,
    tasks: [...version.monitors.values()].map((m) => ({ name: m.task.name, head: m.task.head, outputs: m.task.outputs.map((o) => o.name), ...m.health() })),
  };
}

function describeModel(model: ServedModel) {
  return { name: model.name, active: model.active.id, versions: [...model.versions.values()].map((v) => describeVersion(model, v)) };
}

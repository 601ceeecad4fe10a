/**
 * The model server on packages of a small trained run (three tasks through one hard-shared MLP, cpu backend):
 * predictions identical to `predictRows` whatever the micro-batches; only the requested heads run; the feature cache
 * returns identical outputs, skips the backbone on a hit and stays within its bound; a version loaded, activated,
 * rolled back and unloaded under a stream of requests loses none; every kind of bad request gets its 4xx naming the
 * field; drift makes a task unhealthy; metrics; the status page in headless Chromium.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportModel } from '../../runtime/export/export.js';
import { loadModel, type LoadedModel } from '../../runtime/serving/load.js';
import { createServer, type ModelServer } from '../../serve/server.js';
import type { ServeOptions } from '../../serve/options.js';
import { useCpu } from '../runtime/helpers/tf.js';
import { servedRows, trainServedRun } from '../runtime/helpers/served-run.js';

const chromiumPath = '/usr/bin/chromium';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(server: ModelServer, url: string, payload: unknown): Promise<Answer> {
  const response = await server.app.inject({ method: 'POST', url, payload: payload as object });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

/** The model inputs of the served rows (no targets), as a client sends them. */
const inputRows = (): Record<string, unknown>[] => servedRows().map(({ age, hours, color }) => ({ age, hours, color }));

/** Counts the backbone's passes and the tasks each forward pass ran, on a served model. */
function spy(model: LoadedModel): { forwards: string[][]; trunkPasses: () => number } {
  const forwards: string[][] = [];
  let trunk = 0;
  const forward = model.model.forward;
  const output = model.model.output;
  const inner = model.model as { forward: typeof forward; output: typeof output };
  inner.forward = (inputs, tasks, training, tape, given) => {
    forwards.push([...tasks]);
    if (!given) trunk++;
    return forward(inputs, tasks, training, tape, given);
  };
  inner.output = (...args) => {
    trunk++;
    return output(...args);
  };
  return { forwards, trunkPasses: () => trunk };
}

describe('mtl serve', () => {
  let dir = '';
  let packageA = '';
  let packageB = '';
  let reference: LoadedModel;
  const servers: ModelServer[] = [];
  const start = async (options: Partial<ServeOptions> = {}, dirs = [packageA]) => {
    const server = await createServer(dirs, { batchWindowMs: 0, ...options });
    servers.push(server);
    return server;
  };

  before(async () => {
    await useCpu();
    dir = mkdtempSync(join(tmpdir(), 'mtl-serve-'));
    const run = await trainServedRun(dir);
    packageA = join(dir, 'package-a');
    packageB = join(dir, 'package-b');
    await exportModel(run, packageA, { name: 'served' });
    await new Promise((r) => setTimeout(r, 5));
    await exportModel(run, packageB, { name: 'served' });
    reference = await loadModel(packageA);
  });
  after(async () => {
    for (const server of servers) await server.close();
    reference.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers exactly what predictRows computes, alone or micro-batched with concurrent requests', async () => {
    const rows = inputRows();
    const expected = reference.predictRows(rows);
    for (const batchWindowMs of [0, 20]) {
      const server = await start({ batchWindowMs, cacheBytes: 0 });
      const model = server.registry.version('served').model;
      const { forwards } = spy(model);
      // 24 concurrent requests of 10 rows, each for all tasks.
      const answers = await Promise.all(Array.from({ length: 24 }, (_, k) => post(server, '/v1/models/served:predict', { rows: rows.slice(10 * k, 10 * k + 10) })));
      assert.ok(answers.every((a) => a.status === 200), JSON.stringify(answers.find((a) => a.status !== 200)));
      assert.deepEqual(answers.flatMap((a) => a.body.predictions as unknown[]), expected);
      assert.equal(answers[0]!.body.version, server.registry.model('served').active.id);
      // Off, one pass per request; on, the 24 requests waited for each other and ran as one.
      assert.equal(forwards.length, batchWindowMs === 0 ? 24 : 1, `passes with a ${batchWindowMs} ms window`);
      await server.close();
    }
  });

  it('runs only the requested heads, and the backbone once for all of them', async () => {
    const server = await start({ cacheBytes: 0 });
    const { forwards, trunkPasses } = spy(server.registry.version('served').model);
    const rows = inputRows().slice(0, 5);
    const one = await post(server, '/v1/models/served:predict', { rows, tasks: ['price'] });
    assert.equal(one.status, 200);
    assert.deepEqual((one.body.predictions as object[]).map((p) => Object.keys(p)), rows.map(() => ['price']));
    assert.deepEqual(forwards, [['price']]);
    const two = await post(server, '/v1/models/served:predict', { rows, tasks: ['level', 'flagged'] });
    assert.deepEqual(Object.keys((two.body.predictions as object[])[0]!).sort(), ['flagged', 'level']);
    assert.deepEqual(forwards, [['price'], ['flagged', 'level']]);
    assert.equal(trunkPasses(), 2, 'one trunk pass per request, not per task');
    assert.deepEqual(two.body.predictions, reference.predictRows(rows, ['level', 'flagged']));
  });

  it('runs the backbone once per task only when told to (--no-backbone-once), with the same outputs', async () => {
    const server = await start({ cacheBytes: 0, backboneOnce: false });
    const { forwards } = spy(server.registry.version('served').model);
    const rows = inputRows().slice(0, 5);
    const answer = await post(server, '/v1/models/served:predict', { rows });
    assert.deepEqual(forwards, [['flagged'], ['level'], ['price']]);
    assert.deepEqual(answer.body.predictions, reference.predictRows(rows));
  });

  it('serves a later request for other tasks of the same rows from the feature cache: identical outputs, no backbone', async () => {
    const server = await start({ cacheBytes: 1 << 20 });
    const { trunkPasses } = spy(server.registry.version('served').model);
    const rows = inputRows().slice(0, 40);
    const first = await post(server, '/v1/models/served:predict', { rows, tasks: ['flagged'] });
    assert.equal(trunkPasses(), 1);
    assert.deepEqual([server.cache!.hits, server.cache!.misses], [0, 40]);
    // The same rows, keys in another order and 38 written as 38.0 (JSON cannot tell them apart): all hits.
    const reordered = rows.map(({ age, hours, color }) => ({ color, hours, age }));
    const later = await post(server, '/v1/models/served:predict', { rows: reordered, tasks: ['level', 'price'] });
    assert.equal(trunkPasses(), 1, 'no backbone pass for cached rows');
    assert.deepEqual([server.cache!.hits, server.cache!.misses], [40, 40]);
    assert.deepEqual(first.body.predictions, reference.predictRows(rows, ['flagged']));
    assert.deepEqual(later.body.predictions, reference.predictRows(rows, ['level', 'price']));
    // Half cached, half new: one backbone pass for the new half only.
    const mixed = inputRows().slice(20, 60);
    const third = await post(server, '/v1/models/served:predict', { rows: mixed });
    assert.equal(trunkPasses(), 2);
    assert.deepEqual([server.cache!.hits, server.cache!.misses], [60, 60]);
    assert.deepEqual(third.body.predictions, reference.predictRows(mixed));
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^mtl_feature_cache_hits_total 60$/m);
    assert.match(metrics, /^mtl_feature_cache_misses_total 60$/m);
    assert.match(metrics, /^mtl_feature_cache_hit_ratio 0.5$/m);
  });

  it('keeps the feature cache within its bytes, dropping the least recently used rows', async () => {
    // An entry is 8 floats (32 bytes) + its key + 160 bytes of overhead: about 300 bytes; 3,000 bytes hold 10.
    const server = await start({ cacheBytes: 3000 });
    const rows = inputRows();
    for (let k = 0; k < 12; k++) await post(server, '/v1/models/served:predict', { rows: rows.slice(20 * k, 20 * k + 20), tasks: ['flagged'] });
    const cache = server.cache!;
    assert.ok(cache.bytes <= 3000 && cache.size >= 8, `${cache.size} entries, ${cache.bytes} bytes`);
    const before = cache.hits;
    // The last rows are kept, the first ones were dropped.
    await post(server, '/v1/models/served:predict', { rows: rows.slice(-2), tasks: ['flagged'] });
    await post(server, '/v1/models/served:predict', { rows: rows.slice(0, 2), tasks: ['flagged'] });
    assert.equal(cache.hits - before, 2);
  });

  it('loads, activates, rolls back and unloads versions under a stream of requests, losing none', async () => {
    // A 50 ms window keeps requests in flight long enough to catch every swap in the middle of some.
    const server = await start({ batchWindowMs: 50 });
    const rows = inputRows().slice(0, 3);
    const [idA, idB] = [reference.manifest.id, (await loadModel(packageB).then((m) => (m.dispose(), m.manifest))).id];
    assert.notEqual(idA, idB);
    const seen: string[] = [];
    const failures: Answer[] = [];
    let streaming = true;
    const stream = async () => {
      while (streaming) {
        const answer = await post(server, '/v1/models/served:predict', { rows, tasks: ['flagged'] });
        if (answer.status === 200) seen.push(answer.body.version as string);
        else failures.push(answer);
      }
    };
    const clients = Array.from({ length: 8 }, stream);
    const settle = () => new Promise((r) => setTimeout(r, 250));
    await settle();
    const loaded = await post(server, '/v1/models/served/versions', { path: packageB });
    assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
    assert.deepEqual([loaded.body.id, loaded.body.active], [idB, true]);
    const afterLoad = seen.length;
    await settle();
    assert.ok(seen.slice(afterLoad + 8).every((v) => v === idB), 'once B is active, new requests get B');
    // Pinned requests still reach A.
    const pinned = await post(server, `/v1/models/served:predict?version=${idA}`, { rows });
    assert.equal(pinned.body.version, idA);
    const rolledBack = await post(server, '/v1/models/served:rollback', {});
    assert.deepEqual([rolledBack.status, rolledBack.body.id], [200, idA]);
    await settle();
    const activated = await post(server, `/v1/models/served/versions/${idB}:activate`, {});
    assert.deepEqual([activated.status, activated.body.id], [200, idB]);
    await settle();
    await post(server, '/v1/models/served:rollback', {});
    await settle();
    // Unloading B while requests pinned to it are in flight: they finish; then B is gone.
    const onB = Array.from({ length: 6 }, () => post(server, `/v1/models/served:predict?version=${idB}`, { rows }));
    const versionB = server.registry.version('served', idB);
    for (const deadline = Date.now() + 10_000; versionB.inFlight < 6; ) {
      assert.ok(Date.now() < deadline, `only ${versionB.inFlight} of the 6 requests pinned to B reached it`);
      await new Promise((r) => setTimeout(r, 1));
    }
    const unloaded = await server.app.inject({ method: 'DELETE', url: `/v1/models/served/versions/${idB}` });
    assert.equal(unloaded.statusCode, 200, unloaded.body);
    assert.deepEqual((await Promise.all(onB)).map((a) => [a.status, a.body.version ?? a.body.message]), onB.map(() => [200, idB]));
    await settle();
    streaming = false;
    await Promise.all(clients);
    assert.deepEqual(failures, []);
    assert.ok(seen.includes(idA) && seen.includes(idB));
    assert.equal((await post(server, `/v1/models/served:predict?version=${idB}`, { rows })).status, 404);
    const refused = await server.app.inject({ method: 'DELETE', url: `/v1/models/served/versions/${idA}` });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().message, /is the active version of `served`: activate another before unloading it/);
  });

  it('gives each kind of bad request its 4xx, naming the field, and keeps serving', async () => {
    const server = await start({ bodyLimit: 4096, maxRequestRows: 50 });
    const good = { age: 40, hours: 38, color: 'red' };
    const raw = (payload: string, contentType = 'application/json') => server.app.inject({ method: 'POST', url: '/v1/models/served:predict', payload, headers: { 'content-type': contentType } });
    const cases: [string, Promise<{ statusCode: number; json(): unknown }>, number, RegExp, string?][] = [
      ['malformed JSON', raw('{"rows": [{"age": 40,}]}'), 400, /^the request body is not valid JSON: /],
      ['empty body', raw(''), 400, /^the request body is empty/],
      ['not JSON', raw('age=40', 'text/plain'), 415, /must be JSON/],
      ['oversize body', raw(JSON.stringify({ rows: Array.from({ length: 200 }, () => good) })), 413, /over the server's limit of 4096 bytes/],
      ['no rows', post(server, '/v1/models/served:predict', { tasks: ['flagged'] }) as never, 400, /^body\.rows: missing$/, 'body.rows'],
      ['rows not a list', post(server, '/v1/models/served:predict', { rows: 'all' }) as never, 400, /^body\.rows: expected a list, found "all"$/, 'body.rows'],
      ['no row', post(server, '/v1/models/served:predict', { rows: [] }) as never, 400, /^body\.rows: expected at least 1 item, found none$/, 'body.rows'],
      ['too many rows', post(server, '/v1/models/served:predict', { rows: Array.from({ length: 51 }, () => ({})) }) as never, 400, /^body\.rows: at most 50 items in one request, found a list of 51$/, 'body.rows'],
      ['unknown field', post(server, '/v1/models/served:predict', { rows: [good], task: 'flagged' }) as never, 400, /^body\.task: unknown field \(a request has `rows` and `tasks`\)$/, 'body.task'],
      ['missing column', post(server, '/v1/models/served:predict', { rows: [good, { age: 1, color: 'red' }] }) as never, 400, /^rows\[1\]\.hours: missing \(the model reads column `hours`, int\)$/, 'rows[1].hours'],
      ['wrong type', post(server, '/v1/models/served:predict', { rows: [good, { ...good, age: 'abc' }] }) as never, 400, /^rows\[1\]\.age: expected a number or null, found "abc"$/, 'rows[1].age'],
      ['not a whole number', post(server, '/v1/models/served:predict', { rows: [{ ...good, hours: 2.5 }] }) as never, 400, /^rows\[0\]\.hours: expected a whole number or null, found 2\.5$/, 'rows[0].hours'],
      ['null number', post(server, '/v1/models/served:predict', { rows: [{ ...good, age: null }] }) as never, 400, /^rows\[0\]\.age: expected a number, found null$/, 'rows'],
      ['tasks not a list', post(server, '/v1/models/served:predict', { rows: [good], tasks: 'flagged' }) as never, 400, /^body\.tasks: expected a list, found "flagged"$/, 'body.tasks'],
      ['unknown task', post(server, '/v1/models/served:predict', { rows: [good], tasks: ['flagged', 'nope'] }) as never, 404, /^model `served` has no task `nope` \(its tasks: flagged, level, price\)$/],
      ['unknown model', post(server, '/v1/models/other:predict', { rows: [good] }) as never, 404, /^no model `other` is served \(models: served\)$/],
      ['unknown version', post(server, '/v1/models/served:predict?version=v0', { rows: [good] }) as never, 404, /^model `served` has no version v0/],
      ['unknown verb', post(server, '/v1/models/served:train', { rows: [good] }) as never, 404, /^no such endpoint: expected `…\/NAME:predict` or `…\/NAME:rollback`, found `served:train`$/],
      ['unknown health', server.app.inject({ method: 'GET', url: '/v1/models/served/tasks/nope/health' }), 404, /has no task `nope`/],
    ];
    for (const [what, pending, status, message, field] of cases) {
      const answer = await pending;
      const got = ('statusCode' in answer ? { status: answer.statusCode, body: answer.json() } : answer) as Answer;
      assert.equal(got.status, status, `${what}: ${JSON.stringify(got.body)}`);
      assert.match(String(got.body.message), message, what);
      if (field) assert.equal(got.body.field, field, what);
      assert.doesNotMatch(JSON.stringify(got.body), /\n\s+at /, `${what}: no stack trace`);
    }
    const ok = await post(server, '/v1/models/served:predict', { rows: [good] });
    assert.equal(ok.status, 200);
    // The four requests refused for their rows count as the task's bad requests, not as the server's failures.
    const health = (await server.app.inject({ method: 'GET', url: '/v1/models/served/tasks/flagged/health' })).json() as { healthy: boolean; errors: Record<string, number> };
    assert.deepEqual([health.healthy, health.errors.internal, health.errors.bad_request], [true, 0, 4]);
  });

  it('marks a task unhealthy when its predictions drift from the validation distribution, in health and metrics', async () => {
    const server = await start({ minPredictions: 50, driftThreshold: 0.25 });
    const version = server.registry.version('served');
    const recorded = version.manifest.validation.distributions['flagged.probability']!;
    const rows = inputRows();
    const health = async () => (await server.app.inject({ method: 'GET', url: '/v1/models/served/tasks/flagged/health' }));
    let answer = await health();
    assert.equal(answer.statusCode, 200);
    assert.equal((answer.json() as { drift: Record<string, number | null> }).drift['flagged.probability'], null, 'not judged before 50 predictions');
    // One row, 60 times: every prediction in one bin, far from the validation spread.
    const one = rows[0]!;
    await post(server, '/v1/models/served:predict', { rows: Array.from({ length: 60 }, () => one), tasks: ['flagged'] });
    answer = await health();
    const body = answer.json() as { healthy: boolean; reasons: string[]; drift: Record<string, number> };
    assert.equal(answer.statusCode, 503);
    assert.equal(body.healthy, false);
    assert.ok(recorded.kind === 'numeric' && recorded.rows > 0);
    assert.ok(body.drift['flagged.probability']! > 0.25);
    assert.match(body.reasons[0]!, /^flagged\.probability drifted: PSI \d+\.\d{3} over the last 60 predictions, threshold 0\.25$/);
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    const labels = `model="served",version="${version.id}",task="flagged"`;
    assert.match(metrics, new RegExp(`^mtl_task_healthy\\{${labels}\\} 0$`, 'm'));
    assert.match(metrics, new RegExp(`^mtl_task_requests_total\\{${labels}\\} 1$`, 'm'));
    assert.match(metrics, new RegExp(`^mtl_task_request_duration_seconds_count\\{${labels}\\} 1$`, 'm'));
    assert.match(metrics, new RegExp(`^mtl_task_prediction_drift\\{${labels}\\} ${body.drift['flagged.probability']}$`, 'm'));
    // The other tasks were not asked: healthy, no requests.
    assert.match(metrics, new RegExp(`^mtl_task_healthy\\{model="served",version="${version.id}",task="level"\\} 1$`, 'm'));
  });

  it('shows each model, version and task on the status page, in headless Chromium with no console error', { skip: existsSync(chromiumPath) ? false : `Chromium is not installed at ${chromiumPath}` }, async () => {
    const server = await start({}, [packageA, packageB]);
    const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
    await post(server, '/v1/models/served:predict', { rows: inputRows().slice(0, 3) });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`${address}/`);
      await page.waitForSelector('table tr:nth-child(7)');
      const cells = await page.$$eval('table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      const body = cells.filter((c) => c.length > 0);
      assert.equal(body.length, 6, 'two versions × three tasks');
      // Both versions, in the order given; the newest (B) is active.
      const [idA, idB] = [...server.registry.model('served').versions.keys()];
      assert.equal(server.registry.model('served').active.id, idB);
      const tasks = ['flagged (binary)', 'level (multiclass)', 'price (regression)'];
      assert.deepEqual(body.map((c) => [c[0], c[1], c[2], c[3]]), [
        ...tasks.map((t) => [idA, t, 'healthy', '0']),
        ...tasks.map((t) => [`${idB} (active)`, t, 'healthy', '1']),
      ]);
      assert.deepEqual(errors, []);
      assert.ok(requests.every((url) => url.startsWith(address)), `only the server is asked: ${requests.join(', ')}`);
    } finally {
      await browser.close();
    }
  });
});

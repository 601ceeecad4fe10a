/**
 * Model packages and serving: `exportModel` writes a package of a small trained run, `loadModel` predicts from it (and
 * from the run directory itself) exactly what evaluation computes for the same rows, the cache seam (`shared`, then
 * `heads` from it) gives the same outputs, only the requested heads run, bad rows are named by row and column, the
 * tf.LayersModel (hard sharing, soft sharing's columns, MMoE) gives the runtime's outputs, cross-stitch and adapters say
 * why they have none, and an unknown package version is refused.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { oneHotRows } from '../../runtime/kernels/embedding-bag.js';
import type { Job } from '../../job/job.js';
import { parseJob } from '../../job/parse.js';
import { loadFitted, openJobData } from '../../runtime/data/loader.js';
import { assignByRatio, splitId } from '../../runtime/data/split.js';
import { exportModel } from '../../runtime/export/export.js';
import { buildModel } from '../../runtime/model/build.js';
import { loadWeights } from '../../runtime/model/weights.js';
import { loadModel, RowsError, type LoadedModel } from '../../runtime/serving/load.js';
import type { PackageManifest } from '../../runtime/serving/package-format.js';
import { evaluate } from '../../runtime/train/evaluate.js';
import { useCpu } from './helpers/tf.js';
import { servedRows, trainServedRun } from './helpers/served-run.js';

/** The rows of `split`, in file order, as the loader assigns them. */
function rowsOf(job: Job, split: 'valid' | 'test'): Record<string, unknown>[] {
  const rows = servedRows();
  const plan = job.datasets[0]!.split as Extract<Job['datasets'][number]['split'], { kind: 'ratio' }>;
  const assigned = new Uint8Array(rows.length);
  assignByRatio(plan, 0, assigned);
  return rows.filter((_, i) => assigned[i] === splitId(split));
}

/** Evaluation's predictions (HeadRuntime.predictions) on a split of the run, per task, in file order. */
async function evaluatedPredictions(run: string, split: 'valid' | 'test'): Promise<Map<string, number[]>> {
  const job = parseJob(JSON.parse(readFileSync(join(run, 'job.json'), 'utf8')));
  const data = await openJobData(job, { fitted: await loadFitted(join(run, 'features.json')) });
  const model = buildModel(job, (w) => data.width(w), job.training.seed);
  await loadWeights(model, run);
  const out = new Map<string, number[]>();
  await evaluate(model, data, split, { onPredictions: (_, predictions) => predictions.forEach((values, task) => out.set(task, [...(out.get(task) ?? []), ...values])) });
  model.dispose();
  return out;
}

/**
 * tf.loadLayersModel reads the package's tfjs files (through an IOHandler: no file:// in plain tfjs) and gives the
 * runtime's outputs for the same encoded rows, task by task, within 1e-6.
 */
async function assertLayersModelParity(out: string, served: LoadedModel, rows: Record<string, unknown>[]): Promise<void> {
  const topology = JSON.parse(readFileSync(join(out, 'tfjs/model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const weightData = new Uint8Array(readFileSync(join(out, 'tfjs/weights.bin'))).buffer;
  const layers = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs: topology.weightsManifest[0]!.weights, weightData }));
  const tasks = served.model.job.tasks;
  const encoded = served.encode(rows);
  const input = encoded.inputs[tasks[0]!.input]!;
  // The layers model reads the one-hot vector; the runtime, where the onehot-lookup pass applies, the kernel rows.
  const vector = input.lookup ? oneHotRows(input.lookup, input.data, input.shape[0]!) : (input.data as Float32Array);
  const outputs = layers.predict(tf.tensor2d(vector, [input.shape[0]!, input.lookup?.width ?? input.shape[1]!])) as tf.Tensor[];
  const runtime = served.predictions(encoded);
  assert.equal(outputs.length, tasks.length);
  tasks.forEach((task, k) => {
    const got = outputs[k]!.dataSync();
    const want = runtime.get(task.name)!.values;
    assert.equal(got.length, want.length, task.name);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6, `${task.name}[${i}]: ${got[i]} vs ${want[i]}`);
  });
  tf.dispose(outputs);
  layers.dispose();
}

describe('model packages and serving', () => {
  let dir = '';
  let run = '';
  let job: Job;
  before(async () => {
    await useCpu();
    dir = mkdtempSync(join(tmpdir(), 'mtl-serving-'));
    run = await trainServedRun(dir);
    job = parseJob(JSON.parse(readFileSync(join(run, 'job.json'), 'utf8')));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('predicts from a run directory exactly what evaluation computes for the same rows', async () => {
    const expected = await evaluatedPredictions(run, 'valid');
    const model = await loadModel(run);
    const rows = rowsOf(job, 'valid');
    const outputs = model.predictRows(rows);
    assert.equal(outputs.length, rows.length);
    assert.deepEqual(outputs.map((o) => (o.flagged as { probability: number }).probability), expected.get('flagged'));
    assert.deepEqual(outputs.flatMap((o) => (o.level as { probabilities: number[] }).probabilities), expected.get('level'));
    assert.deepEqual(outputs.map((o) => (o.price as { value: number }).value), expected.get('price'));
    // The class is the most probable one, by the fitted class names.
    const first = outputs[0]!.level as { class: string; score: number; probabilities: number[] };
    assert.equal(first.score, Math.max(...first.probabilities));
    assert.equal(first.class, ['high', 'low', 'mid'][first.probabilities.indexOf(first.score)]);
    model.dispose();
  });

  it('exports a versioned package that loads with the same predictions, its distributions and a tf.LayersModel', async () => {
    const out = join(dir, 'package');
    const manifest = await exportModel(run, out, { name: 'served' });
    const valid = rowsOf(job, 'valid');
    assert.equal(manifest.format, 'mtl-model');
    assert.equal(manifest.version, 1);
    assert.equal(manifest.name, 'served');
    assert.match(manifest.id, /^\d{8}T\d{9}Z-[0-9a-f]{12}$/);
    assert.deepEqual(manifest.inputSchema.columns, [{ name: 'age', type: 'float' }, { name: 'hours', type: 'int' }, { name: 'color', type: 'string' }]);
    assert.deepEqual(manifest.tasks.map((t) => [t.name, t.head, t.outputs.map((o) => o.name), t.classes]), [
      ['flagged', 'binary', ['flagged.probability'], null],
      ['level', 'multiclass', ['level.class', 'level.score'], ['high', 'low', 'mid']],
      ['price', 'regression', ['price.value'], null],
    ]);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { bestEpoch: number; valid: unknown };
    assert.equal(manifest.validation.epoch, summary.bestEpoch);
    assert.deepEqual(manifest.validation.metrics, summary.valid);
    const probability = manifest.validation.distributions['flagged.probability']!;
    assert.equal(probability.kind, 'numeric');
    if (probability.kind !== 'numeric') return;
    assert.equal(probability.rows, valid.length);
    assert.equal(probability.histogram.counts.length, 20);
    assert.equal(probability.histogram.counts.reduce((a, b) => a + b, 0), valid.length);
    assert.deepEqual([probability.histogram.edges[0], probability.histogram.edges[20]], [0, 1]);
    const expected = await evaluatedPredictions(run, 'valid');
    const flagged = expected.get('flagged')!;
    assert.equal(probability.mean, flagged.reduce((a, b) => a + b, 0) / flagged.length);
    // The median, interpolated between the two middle values of the sorted predictions.
    const sorted = [...flagged].sort((a, b) => a - b);
    const middle = (sorted.length - 1) / 2;
    const median = sorted[Math.floor(middle)]! + (middle % 1) * (sorted[Math.ceil(middle)]! - sorted[Math.floor(middle)]!);
    assert.ok(Math.abs(probability.quantiles['0.5']! - median) < 1e-12, `median ${probability.quantiles['0.5']} vs ${median}`);
    const classes = manifest.validation.distributions['level.class']!;
    assert.equal(classes.kind, 'classes');
    if (classes.kind === 'classes') assert.equal(Object.values(classes.counts).reduce((a, b) => a + b, 0), valid.length);
    assert.deepEqual(manifest.layersModel, { path: 'tfjs/model.json' });

    const fromPackage = await loadModel(out);
    const fromRun = await loadModel(run);
    assert.deepEqual(fromPackage.predictRows(valid), fromRun.predictRows(valid));
    fromRun.dispose();

    await assertLayersModelParity(out, fromPackage, valid);
    fromPackage.dispose();

    await assert.rejects(exportModel(run, out), (e: Error) => e instanceof Error && /already exists; choose another directory, or give --force/.test(e.message));
    const again = await exportModel(run, out, { force: true });
    assert.equal((JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as PackageManifest).created, again.created);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('package')), ['package'], 'no partial or old package left beside it');
  });

  it('refuses a package of an unknown format version, saying which it reads', async () => {
    const out = join(dir, 'future');
    await exportModel(run, out);
    const file = join(out, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
    writeFileSync(file, JSON.stringify({ ...manifest, version: 2 }));
    await assert.rejects(loadModel(out), { message: `${file}: the package is format version 2; this mtl reads version 1: it was written by a newer mtl, upgrade mtl to load it` });
    writeFileSync(file, JSON.stringify({ ...manifest, format: 'something-else' }));
    await assert.rejects(loadModel(out), { message: `${file} is not an mtl model package manifest (its "format" is "something-else", expected "mtl-model")` });
  });

  it('runs the trunk once and only the requested heads; from cached shared features the outputs are the same', async () => {
    const model = await loadModel(run);
    const rows = rowsOf(job, 'test');
    const calls: string[][] = [];
    const forward = model.model.forward;
    (model.model as { forward: typeof forward }).forward = (inputs, tasks, ...rest) => {
      calls.push([...tasks]);
      return forward(inputs, tasks, ...rest);
    };
    const some = model.predictRows(rows, ['price', 'flagged']);
    assert.deepEqual(calls, [['flagged', 'price']]);
    assert.deepEqual(Object.keys(some[0]!).sort(), ['flagged', 'price']);

    assert.deepEqual(model.cache, { [job.tasks[0]!.input]: { module: 'both', layer: 0, width: 8 } });
    const encoded = model.encode(rows);
    const shared = model.shared(encoded);
    assert.equal(shared[job.tasks[0]!.input]!.rows.length, rows.length);
    assert.equal(shared[job.tasks[0]!.input]!.rows[0]!.length, 8);
    const viaCache = model.heads(encoded, ['level'], shared);
    assert.deepEqual(viaCache, model.heads(encoded, ['level']));
    assert.deepEqual(viaCache.map((r) => r.level), model.predictRows(rows).map((r) => r.level));
    assert.throws(() => model.predictRows(rows, ['nope']), { message: 'the model has no task `nope` (its tasks: flagged, level, price)' });
    model.dispose();
  });

  it('names each bad row by index and column, with what was expected and found', async () => {
    const model = await loadModel(run);
    const good = { age: 40, hours: 38, color: 'red' };
    assert.throws(() => model.predictRows([good, { ...good, age: 'abc' }]), (e: unknown) => {
      assert.ok(e instanceof RowsError);
      assert.equal(e.message, 'row 1: column `age`: expected a number, found "abc"');
      return true;
    });
    const { hours: _, ...noHours } = good;
    assert.throws(() => model.predictRows([good, good, noHours, { ...good, color: 3 }, { ...good, age: NaN }, { ...good, hours: 2.5 }]), {
      message: [
        'row 2: column `hours`: missing from the row',
        'row 3: column `color`: expected a string, found 3',
        'row 4: column `age`: expected a finite number, found NaN',
        'row 5: column `hours`: expected a whole number, found 2.5',
      ].join('\n'),
    });
    // An unseen or null category encodes to zeros, as in training: not an error.
    assert.equal(model.predictRows([{ ...good, color: 'purple' }, { ...good, color: null }]).length, 2);
    model.dispose();
  });

  it('has no cache point for MMoE, and says why; its tf.LayersModel, of built-in layers, gives the runtime\'s outputs', async () => {
    const mmoe = await trainServedRun(dir, 'mmoe(experts: 3, expert: mlp(units: [4]), tasks: [flagged, level, price])');
    const model = await loadModel(mmoe);
    assert.deepEqual(Object.values(model.cache).map((c) => 'why' in c && c.why), ["task 'flagged' reads module 'both.mix.flagged', whose mmoe sharing gives each task a representation of its own"]);
    model.dispose();
    const out = join(dir, 'mmoe-package');
    const manifest = await exportModel(mmoe, out);
    assert.deepEqual(manifest.layersModel, { path: 'tfjs/model.json' });
    // No custom layer: plain tf.loadLayersModel knows every class, and the experts are stacked once for all three gates.
    const topology = JSON.parse(readFileSync(join(out, 'tfjs/model.json'), 'utf8')) as { modelTopology: { config: { layers: { class_name: string }[] } } };
    const classes = topology.modelTopology.config.layers.map((l) => l.class_name);
    assert.deepEqual([...new Set(classes)].sort(), ['Concatenate', 'Dense', 'Dot', 'InputLayer', 'Reshape']);
    assert.deepEqual(['Dense', 'Reshape', 'Concatenate', 'Dot'].map((c) => classes.filter((k) => k === c).length), [3 + 3 + 3, 3, 1, 3]);
    const served = await loadModel(out);
    await assertLayersModelParity(out, served, rowsOf(job, 'valid'));
    served.dispose();
  });

  it('exports PLE as a tf.LayersModel of built-in layers, each expert reshaped once however many gates mix it, with the runtime\'s outputs', async () => {
    const where = join(dir, 'ple');
    mkdirSync(where);
    const ple = await trainServedRun(where, 'ple(expert: mlp(units: [4]), tasks: [flagged, level, price])');
    const out = join(where, 'package');
    const manifest = await exportModel(ple, out);
    assert.deepEqual(manifest.layersModel, { path: 'tfjs/model.json' });
    const topology = JSON.parse(readFileSync(join(out, 'tfjs/model.json'), 'utf8')) as { modelTopology: { config: { layers: { class_name: string }[] } } };
    const classes = topology.modelTopology.config.layers.map((l) => l.class_name);
    // Two levels of 2 shared experts and 1 per task: level 1 has 5 experts, 3 task gates and the shared gate (4
    // mixtures), level 2 has 5 experts and 3 task gates (3 mixtures); then 3 heads.
    assert.deepEqual(['Dense', 'Reshape', 'Concatenate', 'Dot'].map((c) => classes.filter((k) => k === c).length), [9 + 8 + 3, 5 + 5, 4 + 3, 4 + 3]);
    const served = await loadModel(out);
    await assertLayersModelParity(out, served, rowsOf(job, 'valid'));
    served.dispose();
  });

  it('says why cross-stitch and adapters have no tf.LayersModel; soft sharing\'s columns have one, with the runtime\'s outputs', async () => {
    const trained = async (name: string, share: string) => {
      const where = join(dir, name);
      mkdirSync(where);
      return trainServedRun(where, share);
    };
    const whyOf = async (run: string) => {
      const manifest = await exportModel(run, join(run, '..', 'package'));
      return 'why' in manifest.layersModel ? manifest.layersModel.why : manifest.layersModel.path;
    };
    assert.equal(
      await whyOf(await trained('stitched', 'cross_stitch(backbone: mlp(units: [4]), tasks: [flagged, level, price])')),
      "module 'both.flagged' uses cross_stitch sharing: its cross-stitch units mix the task columns after each layer with learned weights, a computation of mtl's own",
    );
    assert.equal(
      await whyOf(await trained('adapted', 'adapters(backbone: mlp(units: [4]), tasks: [flagged, level, price], size: 2)')),
      "module 'both' uses adapters sharing: its per-task adapters are added to the shared layers' outputs, a computation of mtl's own",
    );
    const soft = await trained('soft', 'soft(backbone: mlp(units: [4]), tasks: [flagged, level, price])');
    assert.equal(await whyOf(soft), 'tfjs/model.json');
    const served = await loadModel(join(dir, 'soft', 'package'));
    await assertLayersModelParity(join(dir, 'soft', 'package'), served, rowsOf(job, 'valid'));
    served.dispose();
  });
});

/**
 * LoRA sharing (runtime/model/schemes/lora.ts) and its merge for inference (runtime/export/merge-lora.ts): the
 * forward pass against values computed by hand, gradients against where they must and must not flow (another task's
 * loss, a frozen module), and the merged model's outputs against the unmerged model's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, TrainingPlan } from '../../job/job.js';
import { exportModel } from '../../runtime/export/export.js';
import { mergeLora } from '../../runtime/export/merge-lora.js';
import { loadModel } from '../../runtime/serving/load.js';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { fakeJobData, syntheticDataset } from './helpers/fakeData.js';
import { servedRows, trainServedRun } from './helpers/served-run.js';
import { denseModule, makeJob, task, vectorInput, type TestModule } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';

const width = (w: unknown) => w as number;

/** One shared MLP `lo` of `units` with lora updates of `rank` for tasks a and b. */
function loraModule(units: number[], rank: number, alpha: number, options: { dropout?: number } = {}): TestModule {
  return { ...denseModule('lo', 'x', units, ['a', 'b'], options), sharing: { kind: 'lora', rank, alpha, tasks: ['a', 'b'] } };
}

/** Regression tasks a and b on a 2-wide input `x`; a reads the lora module, b reads `bFrom` (the module, or a tower on it). */
function loraJob(modules: TestModule[], bFrom = 'lo', training: Partial<TrainingPlan> = {}): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules,
    tasks: [task('a', 'regression', { from: 'lo' }), task('b', 'regression', { from: bFrom })],
    training,
  });
}

/** Gradients of `f` with respect to every parameter, by name; parameters `f` does not reach are absent. */
function gradientsByName(model: MtlModel, f: () => tf.Scalar): Map<string, number[]> {
  const byVariable = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const { value, grads } = tf.variableGrads(f, model.params.map((p) => p.variable));
  const out = new Map<string, number[]>();
  for (const [name, g] of Object.entries(grads)) {
    if (g) out.set(byVariable.get(name)!, Array.from(g.dataSync()));
    g?.dispose();
  }
  value.dispose();
  return out;
}

const nonzero = (values: number[] | undefined) => values !== undefined && values.some((v) => v !== 0);

describe('lora', () => {
  before(useCpu);

  it('an A [in, rank] and a B [rank, out] per task and dense layer; B starts at zero, so both tasks start from the shared model', () => {
    const model = buildModel(loraJob([loraModule([3, 2], 2, 8)]), width, 1);
    assert.deepEqual(model.params.filter((p) => p.name.startsWith('lo/')).map((p) => `${p.name} [${p.variable.shape.join(',')}]`), [
      'lo/0/kernel [2,3]', 'lo/0/bias [3]', 'lo/1/kernel [3,2]', 'lo/1/bias [2]',
      'lo/lora/a/0/a [2,2]', 'lo/lora/a/0/b [2,3]', 'lo/lora/a/1/a [3,2]', 'lo/lora/a/1/b [2,2]',
      'lo/lora/b/0/a [2,2]', 'lo/lora/b/0/b [2,3]', 'lo/lora/b/1/a [3,2]', 'lo/lora/b/1/b [2,2]',
    ]);
    const weights = weightsOf(model);
    for (const name of Object.keys(weights).filter((n) => /\/lora\/.*\/b$/.test(n))) assert.ok(weights[name]!.every((v) => v === 0), name);
    for (const name of Object.keys(weights).filter((n) => /\/lora\/.*\/a$/.test(n))) assert.ok(nonzero(weights[name]), name);
    setWeights(model, { 'head/a/kernel': [1, -1], 'head/b/kernel': [1, -1] });
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [-0.5, 3]]) }, ['a', 'b'], false);
    assert.deepEqual(Array.from(logits.get('a')!.dataSync()), Array.from(logits.get('b')!.dataSync()));
    model.dispose();
  });

  it('each task’s layer is act(x · W + b + alpha/rank · (x · A) · B) (hand-computed)', () => {
    const model = buildModel(loraJob([loraModule([2], 1, 2)]), width, 1);
    setWeights(model, {
      'lo/0/kernel': [1, 0, 0, 1], 'lo/0/bias': [0, 0],
      'lo/lora/a/0/a': [1, 1], 'lo/lora/a/0/b': [0.5, -1], // scale 2 · (x0 + x1) · [0.5, -1]
      'lo/lora/b/0/a': [1, -1], 'lo/lora/b/0/b': [1, 1], //   scale 2 · (x0 - x1) · [1, 1]
      'head/a/kernel': [1, 1], 'head/a/bias': [0], 'head/b/kernel': [1, 1], 'head/b/bias': [0],
    });
    // x = [1, 2]: a: [1, 2] + 2·3·[0.5, -1] = [4, -4] → relu [4, 0] → 4;  b: [1, 2] + 2·(-1)·[1, 1] = [-1, 0] → 0
    // x = [3, 1]: a: [3, 1] + 2·4·[0.5, -1] = [7, -7] → 7;                 b: [3, 1] + 2·2·[1, 1] = [7, 5] → 12
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [3, 1]]) }, ['a', 'b'], false);
    assertAllClose(logits.get('a')!.dataSync(), [4, 7]);
    assertAllClose(logits.get('b')!.dataSync(), [0, 12]);
    model.dispose();
  });

  it('computes the first layer’s x · W + b once for both tasks (they read one input), and each task’s layer after it', async () => {
    const model = buildModel(loraJob([loraModule([3, 2], 2, 4)]), width, 1);
    const x = tf.ones([3, 2]);
    const profile = await tf.profile(() => {
      model.forward({ x }, ['a', 'b'], false);
    });
    // x · W + b and the heads are fused matmuls; the updates' products are plain ones, two per task and layer.
    assert.equal(profile.kernels.filter((k) => k.name === '_FusedMatMul').length, 1 + 2 + 2, 'layer 0 once, layer 1 per task, two heads');
    assert.equal(profile.kernels.filter((k) => k.name === 'BatchMatMul').length, 2 * 2 * 2);
    x.dispose();
    model.dispose();
  });

  it("a task's loss reaches its own A and B and the shared weights, never another task's; a frozen module gets none", () => {
    const model = buildModel(loraJob([loraModule([3, 2], 2, 4)]), width, 1);
    setWeights(model, { 'lo/lora/a/0/b': [0.5, -1, 0.25, 1, 0.5, -0.5], 'lo/lora/b/0/b': [1, 1, 1, -1, -1, -1] });
    const [x, y] = [tf.tensor2d([[1, 2], [0.5, -1], [-2, 1]]), tf.tensor2d([[1], [0], [2]])];
    const grads = gradientsByName(model, () => tf.mean(tf.squaredDifference(model.forward({ x }, ['a'], true).get('a')!, y)));
    for (const name of ['lo/0/kernel', 'lo/1/kernel', 'lo/lora/a/0/a', 'lo/lora/a/0/b', 'lo/lora/a/1/b']) assert.ok(nonzero(grads.get(name)), name);
    assert.deepEqual([...grads.keys()].filter((n) => n.includes('/lora/b/') || n.startsWith('head/b/')), []);
    assert.deepEqual(model.paramsFor(['a'], ['lo']).map((p) => p.name), [
      'lo/lora/a/0/a', 'lo/lora/a/0/b', 'lo/lora/a/1/a', 'lo/lora/a/1/b', 'head/a/kernel', 'head/a/bias',
    ]);
    [x, y].forEach((t) => t.dispose());
    model.dispose();
  });

  it('steps with the module frozen leave the shared weights bit-identical and move both tasks’ updates', async () => {
    const job = loraJob([loraModule([4, 4], 2, 4, { dropout: 0.1 })]);
    const model = buildModel(job, width, 1);
    const data = fakeJobData(job, { d: syntheticDataset('x', 2, [{ name: 'a', kind: 'regression' }, { name: 'b', kind: 'regression' }], { train: 32, valid: 1, test: 1 }, 5) });
    const before = weightsOf(model);
    const optimizer = makeOptimizer(job.training.optimizer);
    const step = makeTrainStep(model, optimizer, { frozen: ['lo'] });
    for await (const batch of data.batches('d', 'train', { batchSize: 8, shuffle: false, seed: 0 })) step(batch);
    const after = weightsOf(model);
    for (const name of ['lo/0/kernel', 'lo/0/bias', 'lo/1/kernel', 'lo/1/bias']) assert.deepEqual(after[name], before[name], `${name} is frozen`);
    for (const name of ['lo/lora/a/0/b', 'lo/lora/b/0/b', 'lo/lora/a/1/a', 'lo/lora/b/1/b']) assert.notDeepEqual(after[name], before[name], `${name} trains`);
    optimizer.dispose();
    model.dispose();
  });

  it('merged per task, the model has no lora left and gives the unmerged outputs (1e-5), through a tower too', () => {
    const job = loraJob([loraModule([5, 3], 2, 8), denseModule('b.tower', 'lo', [2], ['b'])], 'b.tower');
    const model = buildModel(job, width, 7);
    // Every B off zero, so each task's update matters.
    model.params.filter((p) => p.name.endsWith('/b') && p.name.includes('/lora/')).forEach((p, i) => tf.tidy(() => p.variable.assign(tf.randomNormal(p.variable.shape, 0, 0.5, 'float32', 40 + i))));
    const x = tf.tensor2d([[1, 2], [-0.5, 3], [2, -1], [0.1, 0.2]]);
    const unmerged = model.forward({ x }, ['a', 'b'], false);

    const merged = mergeLora(job, new Map(model.params.map((p) => [p.name, p.variable as tf.Tensor])));
    assert.deepEqual(merged.job.modules.map((m) => `${m.id} ${m.sharing.kind} [${m.tasks.join(',')}]`), ['lo.a hard [a]', 'lo.b hard [b]', 'b.tower hard [b]']);
    assert.deepEqual(merged.job.modules.find((m) => m.id === 'b.tower')!.from, [{ module: 'lo.b', layer: 1 }]);
    assert.deepEqual(merged.job.tasks.map((t) => t.from), [{ module: 'lo.a', layer: 1 }, { module: 'b.tower', layer: 0 }]);
    const plain = buildModel(merged.job, width, 99);
    assert.deepEqual(plain.params.map((p) => p.name).sort(), [...merged.weights.keys()].sort());
    for (const p of plain.params) p.variable.assign(merged.weights.get(p.name)!);
    const outputs = plain.forward({ x }, ['a', 'b'], false);
    for (const t of ['a', 'b']) assertAllClose(outputs.get(t)!.dataSync(), unmerged.get(t)!.dataSync(), 1e-5, t);
    // The merge is not the shared model: without the updates the outputs differ.
    const shared = mergeLora(job, new Map(model.params.map((p) => [p.name, p.name.includes('/lora/') ? tf.zerosLike(p.variable) : (p.variable as tf.Tensor)])));
    for (const p of plain.params) p.variable.assign(shared.weights.get(p.name)!);
    assert.notDeepEqual(Array.from(plain.forward({ x }, ['a'], false).get('a')!.dataSync()), Array.from(unmerged.get('a')!.dataSync()));
    [model, plain].forEach((m) => m.dispose());
  });

  it('refuses to merge a module two tasks read above the lora module', () => {
    const job = loraJob([loraModule([3], 1, 2), { ...denseModule('top', 'lo', [2], ['a', 'b']) }], 'top');
    const model = buildModel({ ...job, tasks: job.tasks.map((t) => ({ ...t, from: { module: 'top', layer: 0 } })) }, width, 1);
    const weights = new Map(model.params.map((p) => [p.name, p.variable as tf.Tensor]));
    assert.throws(() => mergeLora(model.job, weights), /cannot merge lora module 'lo': module 'top' reads it for tasks a, b, and a merged layer serves one task/);
    model.dispose();
  });

  it('mtl export --merge-lora: a package with no lora, a tf.LayersModel, and the run’s predictions (1e-5)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtl-lora-export-'));
    try {
      const run = await trainServedRun(dir, 'lora(backbone: mlp(units: [8, 4]), tasks: [flagged, level, price], rank: 2)');
      const manifest = await exportModel(run, join(dir, 'merged'), { mergeLora: true, log: () => {} });
      assert.deepEqual(manifest.layersModel, { path: 'tfjs/model.json' });
      const [unmerged, merged] = [await loadModel(run), await loadModel(join(dir, 'merged'))];
      assert.deepEqual(merged.model.job.modules.map((m) => `${m.id} ${m.sharing.kind}`), ['both.flagged hard', 'both.level hard', 'both.price hard']);
      const rows = servedRows().slice(0, 40);
      const [before, after] = [unmerged.predictRows(rows), merged.predictRows(rows)];
      // Every number of every row's outputs: probabilities, scores, values.
      const values = (outputs: typeof before) => JSON.stringify(outputs).match(/-?\d+(\.\d+)?(e-?\d+)?/g)!.map(Number);
      assertAllClose(values(after), values(before), 1e-5);
      [unmerged, merged].forEach((m) => m.dispose());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Every runnable sharing scheme of the table, generically, on a small two-task job that uses it: parameters named
 * uniquely; a few summed steps move every parameter the tasks train (the shared ones and both heads); the per-task path
 * with a summing aggregator gives the same weights; the tensor count stays flat over steps; save → load reproduces the
 * outputs. The jobs are compiled from programs written from the stdlib's sharing entries: a new scheme needs nothing here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan, SharingKind } from '../../../job/job.js';
import type { Batch } from '../../../runtime/data/api.js';
import { buildModel } from '../../../runtime/model/build.js';
import { sharingSchemes } from '../../../runtime/model/schemes/index.js';
import { loadWeights, saveWeights } from '../../../runtime/model/weights.js';
import { makeOptimizer } from '../../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../../runtime/train/step.js';
import { fakeJobData, syntheticDataset } from '../helpers/fakeData.js';
import { parseJob } from '../../../job/parse.js';
import { sharing } from '../../../stdlib/index.js';
import { ROWS, compileSource } from '../../compiler/harness.js';
import { assertAllClose, useCpu, weightsOf } from '../helpers/tf.js';
import { perTaskSum, trainWith } from '../helpers/train.js';

const width = (w: unknown) => w as number;

/**
 * A two-task program sharing through `scheme`, compiled by the real compiler: the share call is written from the
 * scheme's stdlib entry (which argument holds the backbone; every other argument at its default), so a new scheme is
 * checked here without a line of its own. Task `a` is binary and `b` regression, both on the 4-wide input `x`.
 */
function twoTaskJob(scheme: SharingKind): Job {
  const entry = sharing[scheme];
  const source = `${ROWS}
features x { dataset: rows, transforms: [standardize(age, hours, label), raw(flag)] }
task a { features: x, target: flag, head: binary, weight: 0.5 }
task b { features: x, target: age, head: regression, weight: 2 }
share s = ${scheme}(${entry.backbone}: mlp(units: [6], dropout: 0.2), tasks: [a, b])
train { sampling: proportional() }`;
  const compiled = compileSource(source);
  assert.deepEqual(compiled.diagnostics.map((d) => d.message), [], source);
  return parseJob(JSON.parse(JSON.stringify(compiled.job)));
}

async function batches(job: Job, count: number, size = 16): Promise<Batch[]> {
  const labels = [{ name: 'a', kind: 'binary' as const, labelled: 0.7 }, { name: 'b', kind: 'regression' as const }];
  const data = fakeJobData(job, { rows: syntheticDataset('x', 4, labels, { train: size * count, valid: 1, test: 1 }, 21) });
  const out: Batch[] = [];
  for await (const batch of data.batches('rows', 'train', { batchSize: size, shuffle: false, seed: 0 })) out.push(batch);
  return out;
}

const adam: OptimizerPlan = { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };
const runnable = (Object.keys(sharingSchemes) as SharingKind[]).filter((kind) => sharingSchemes[kind].runnable);

describe('every runnable sharing scheme, on a two-task job', () => {
  before(useCpu);

  it('the table has runnable schemes to check', () => assert.ok(runnable.length > 0));

  for (const kind of runnable) {
    describe(kind, () => {
      it('the job uses the scheme; its parameters are named uniquely', () => {
        const job = twoTaskJob(kind);
        assert.ok(job.modules.some((m) => m.sharing.kind === kind), `the job for ${kind} uses it`);
        const model = buildModel(job, width, 3);
        const names = model.params.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, names.join(', '));
        model.dispose();
      });

      it('a few summed steps move every parameter the tasks train: what they share and both heads', async () => {
        const job = twoTaskJob(kind);
        const initial = buildModel(job, width, 3);
        const before = weightsOf(initial);
        const trained = initial.paramsFor(['a', 'b']).map((p) => p.name);
        const shared = initial.paramsFor(['a']).filter((p) => initial.paramsFor(['b']).includes(p)).map((p) => p.name);
        initial.dispose();
        const after = trainWith(job, await batches(job, 4), adam).weights;
        assert.ok(trained.includes('head/a/kernel') && trained.includes('head/b/kernel'));
        for (const name of [...new Set([...trained, ...shared])]) assert.notDeepEqual(after[name], before[name], `${name} did not move`);
      });

      it('the per-task path with a summing aggregator gives the one-pass sum’s weights', async () => {
        const job = twoTaskJob(kind);
        const steps = await batches(job, 4);
        const summed = trainWith(job, steps, adam);
        const perTask = trainWith(job, steps, adam, perTaskSum);
        assert.deepEqual(Object.keys(perTask.weights), Object.keys(summed.weights));
        for (const [param, values] of Object.entries(summed.weights)) assertAllClose(perTask.weights[param]!, values, 1e-6, param);
        assertAllClose(perTask.totals, summed.totals, 1e-6, 'step losses');
      });

      it('the tensor count stays flat over steps', async () => {
        const job = twoTaskJob(kind);
        const model = buildModel(job, width, 1);
        const optimizer = makeOptimizer(adam);
        const step = makeTrainStep(model, optimizer);
        const [batch] = await batches(job, 1);
        step(batch!);
        const afterOne = tf.memory().numTensors;
        for (let i = 0; i < 5; i++) step(batch!);
        assert.equal(tf.memory().numTensors, afterOne);
        optimizer.dispose();
        model.dispose();
      });

      it('save → load into a model of another seed reproduces the outputs', async () => {
        const job = twoTaskJob(kind);
        const model = buildModel(job, width, 1);
        const optimizer = makeOptimizer(adam);
        const step = makeTrainStep(model, optimizer);
        for (const batch of await batches(job, 2)) step(batch);
        const x = tf.tensor2d([[1, -2, 0.5, 3], [0, 1, -1, 2]]);
        const outputs = (m: typeof model) => tf.tidy(() => [...m.forward({ x }, ['a', 'b'], false).values()].map((l) => Array.from(l.dataSync())));
        const directory = mkdtempSync(join(tmpdir(), 'mtl-scheme-'));
        try {
          await saveWeights(model, directory);
          const loaded = buildModel(job, width, 2);
          assert.notDeepEqual(outputs(loaded), outputs(model), 'another seed computes something else before loading');
          await loadWeights(loaded, directory);
          outputs(loaded).forEach((values, i) => assertAllClose(values, outputs(model)[i]!, 1e-6, `task ${i}`));
          loaded.dispose();
        } finally {
          rmSync(directory, { recursive: true, force: true });
          x.dispose();
          optimizer.dispose();
          model.dispose();
        }
      });
    });
  }
});

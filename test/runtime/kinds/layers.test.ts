/**
 * Every runnable layer kind of the table, generically: its hand-worked examples (layers/<kind>.ts) through
 * `outputShape`, `build` (its parameters, set to the example's values) and the computation, on data and on what a
 * layer before computed; and no tensor left behind. A new layer kind is checked here as soon as it is in the table.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { layerKinds } from '../../../runtime/model/layers/index.js';
import type { LayerPlan } from '../../../job/job.js';
import type { LayerCall, LayerEntry, LayerExample, LayerFn, LayerRuntime } from '../../../runtime/model/layers/layer.js';
import { paramStore, type ParamStore } from '../../../runtime/model/params.js';
import { Random } from '../../../runtime/random.js';
import { assertAllClose, useCpu } from '../helpers/tf.js';

const TOLERANCE = 1e-6;
const PREFIX = 'm/0';

function built(entry: LayerRuntime, example: LayerExample): { fn: LayerFn; store: ParamStore } {
  const shapes = example.inputs.map((x) => x.shape.slice(1));
  const store = paramStore(new Random(1));
  const fn = entry.build(example.layer, shapes, { where: `example layer (${example.layer.kind})`, prefix: PREFIX, owner: { kind: 'module', module: 'm' }, store });
  for (const [name, values] of Object.entries(example.params)) {
    const param = store.params.find((p) => p.name === `${PREFIX}/${name}`)!;
    tf.tidy(() => param.variable.assign(tf.tensor([...values], param.variable.shape)));
  }
  return { fn, store };
}

/** How the layer runs: not training, with the example's token mask when it gives one. */
function call(inputIsData: boolean, example: LayerExample): LayerCall {
  const { mask } = example;
  return {
    training: false, inputIsData, dropoutSeed: () => assert.fail('no dropout outside training'),
    ...(mask ? { tokenMask: () => tf.tensor2d([...mask.values], [mask.shape[0]!, mask.shape[1]!]) } : {}),
  };
}

const table: Readonly<Record<string, LayerEntry<LayerPlan>>> = layerKinds;
const runnable = Object.entries(table).filter((e): e is [string, LayerRuntime] => e[1].runnable);

describe('every runnable layer kind', () => {
  before(useCpu);

  it('the table has runnable layer kinds to check', () => assert.ok(runnable.length > 0));

  for (const [kind, entry] of runnable) {
    describe(kind, () => {
      entry.examples.forEach((example, n) => {
        it(`example ${n + 1}: output shape and values`, () => {
          assert.equal(example.layer.kind, kind);
          assert.deepEqual(entry.outputShape(example.layer, example.inputs.map((x) => x.shape.slice(1)), 'example'), example.output.shape.slice(1));
          const { fn, store } = built(entry, example);
          assert.deepEqual(store.params.map((p) => p.name).sort(), Object.keys(example.params).map((name) => `${PREFIX}/${name}`).sort(), 'the example sets every parameter');
          for (const inputIsData of [false, true]) {
            const output = tf.tidy(() => {
              const y = fn(example.inputs.map((x) => tf.tensor([...x.values], [...x.shape])), call(inputIsData, example));
              return { shape: y.shape, values: Array.from(y.dataSync()) };
            });
            assert.deepEqual(output.shape, example.output.shape);
            assertAllClose(output.values, example.output.values, TOLERANCE, inputIsData ? 'output on data' : 'output');
          }
          store.params.forEach((p) => p.variable.dispose());
        });

        it(`example ${n + 1}: leaves no tensor behind`, () => {
          const { fn, store } = built(entry, example);
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            fn(example.inputs.map((x) => tf.tensor([...x.values], [...x.shape])), call(false, example));
          });
          assert.equal(tf.memory().numTensors, before);
          store.params.forEach((p) => p.variable.dispose());
        });
      });
    });
  }
});

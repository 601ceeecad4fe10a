/**
 * CGC and PLE (Tang et al. 2020), compiled from programs by the real compiler: each forward pass against values
 * computed by hand from set weights, and gradients against where they must and must not flow. (Kept apart from
 * model-sharing.test.ts, whose schemes are built from hand-made modules.)
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../../job/job.js';
import { compileProgram } from '../../compiler/compile.js';
import { parseJob } from '../../job/parse.js';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { ROWS, compileSource } from '../compiler/harness.js';
import { assertAllClose, gradientsByName, nonzero, setWeights, useCpu } from './helpers/tf.js';

const width = (w: unknown) => w as number;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Two regression tasks `a` and `b` on the 2-wide input `x` (two raw columns), sharing by `share`. */
function twoTasks(share: string): Job {
  const source = `${ROWS}
features x { dataset: rows, transforms: [raw(age), raw(hours)] }
task a { features: x, target: age, head: regression }
task b { features: x, target: hours, head: regression }
share s = ${share}`;
  const compiled = compileSource(source);
  assert.deepEqual(compiled.diagnostics.map((d) => d.message), [], source);
  return parseJob(JSON.parse(JSON.stringify(compiled.job)));
}

/** Sets every parameter of the model (so no random initial value takes part in a hand computation). */
function setEvery(model: MtlModel, values: Record<string, number[]>): void {
  assert.deepEqual(Object.keys(values).sort(), model.params.map((p) => p.name).sort());
  setWeights(model, values);
}

/** Task `a`'s squared error on three rows, and its gradients. */
function gradientsOfA(model: MtlModel): Map<string, number[]> {
  const [x, y] = [tf.tensor2d([[1, 2], [0.5, -1], [-2, 1]]), tf.tensor2d([[1], [0], [2]])];
  const grads = gradientsByName(model, () => tf.mean(tf.squaredDifference(model.forward({ x }, ['a'], true).get('a')!, y)));
  [x, y].forEach((t) => t.dispose());
  return grads;
}

// Kernels are [inputs, units], row by row. Every expert is one dense ReLU layer of 2 units.
const heads = { 'head/a/kernel': [1, 1], 'head/a/bias': [0], 'head/b/kernel': [0, 1], 'head/b/bias': [0] }; // a: u0 + u1; b: u1
/** The experts and task gates of one level reading [x0, x1] (CGC, and PLE's first level, under `prefix`). */
const firstLevel = (prefix: string) => ({
  [`${prefix}shared.0/0/kernel`]: [1, 0, 0, 1], [`${prefix}shared.0/0/bias`]: [0, 0], // relu(x)
  [`${prefix}expert.a.0/0/kernel`]: [0, 1, 1, 0], [`${prefix}expert.a.0/0/bias`]: [0, 1], // relu([x1, x0 + 1])
  [`${prefix}expert.b.0/0/kernel`]: [1, 0, 0, 0], [`${prefix}expert.b.0/0/bias`]: [0, 3], // relu([x0, 3])
  [`${prefix}gate.a/0/kernel`]: [0, 0, 0, 0], [`${prefix}gate.a/0/bias`]: [0, Math.log(3)], // [¼, ¾] for every row
  [`${prefix}gate.b/0/kernel`]: [1, -1, 0, 0], [`${prefix}gate.b/0/bias`]: [0, 0], // softmax([x0, -x0]) = [σ(2·x0), σ(-2·x0)]
});

describe('cgc', () => {
  before(useCpu);
  const job = () => twoTasks('cgc(expert: mlp(units: [2]), shared_experts: 1, task_experts: 1, tasks: [a, b])');

  it('names its shared experts, each task’s experts and gates as modules; each gate has a unit per expert it mixes', () => {
    const model = buildModel(job(), width, 1);
    assert.deepEqual(
      model.params.filter((p) => !p.name.startsWith('head/')).map((p) => `${p.name} [${p.variable.shape.join(',')}]`),
      [
        's.expert.a.0/0/kernel [2,2]', 's.expert.a.0/0/bias [2]',
        's.expert.b.0/0/kernel [2,2]', 's.expert.b.0/0/bias [2]',
        's.gate.a/0/kernel [2,2]', 's.gate.a/0/bias [2]',
        's.gate.b/0/kernel [2,2]', 's.gate.b/0/bias [2]',
        's.shared.0/0/kernel [2,2]', 's.shared.0/0/bias [2]',
      ],
    );
    model.dispose();
  });

  it('a task’s mixture is its gate-weighted sum of the shared experts and its own (hand-computed)', () => {
    const model = buildModel(job(), width, 1);
    setEvery(model, { ...firstLevel('s.'), ...heads });
    // x = [1, 2]: shared = [1, 2], expert a = [2, 2], expert b = [1, 3].
    //   a: ¼·[1, 2] + ¾·[2, 2] = [1.75, 2]                     → 3.75
    //   b: σ(2)·[1, 2] + σ(-2)·[1, 3], second unit = 2 + σ(-2)
    // x = [0, -1]: shared = [0, 0], expert a = [0, 1], expert b = [0, 3].
    //   a: ¾·[0, 1]                                             → 0.75
    //   b: ½·[0, 0] + ½·[0, 3], second unit                     → 1.5
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [0, -1]]) }, ['a', 'b'], false);
    assertAllClose(logits.get('a')!.dataSync(), [3.75, 0.75]);
    assertAllClose(logits.get('b')!.dataSync(), [2 + sigmoid(-2), 1.5]);
    model.dispose();
  });

  it('task a’s loss reaches the shared experts, its own expert and gate, and nothing of task b', () => {
    const model = buildModel(job(), width, 3);
    const grads = gradientsOfA(model);
    for (const name of ['s.shared.0/0/kernel', 's.expert.a.0/0/kernel', 's.gate.a/0/kernel', 's.gate.a/0/bias']) assert.ok(nonzero(grads.get(name)), name);
    for (const name of ['s.expert.b.0/0/kernel', 's.expert.b.0/0/bias', 's.gate.b/0/kernel', 's.gate.b/0/bias']) assert.equal(grads.has(name), false, name);
    assert.deepEqual(
      model.paramsFor(['a']).map((p) => p.name).filter((n) => !n.startsWith('head/')),
      ['s.expert.a.0/0/kernel', 's.expert.a.0/0/bias', 's.gate.a/0/kernel', 's.gate.a/0/bias', 's.shared.0/0/kernel', 's.shared.0/0/bias'],
    );
    model.dispose();
  });
});

describe('ple', () => {
  before(useCpu);
  const job = () => twoTasks('ple(expert: mlp(units: [2]), shared_experts: 1, task_experts: 1, levels: 2, tasks: [a, b])');

  it('a task’s output goes through both levels: the shared mixture feeds level 2’s shared expert, each task’s its own (hand-computed)', () => {
    const model = buildModel(job(), width, 1);
    setEvery(model, {
      ...firstLevel('s.level1.'),
      's.level1.shared_gate/0/kernel': [0, 0, 0, 0, 0, 0], 's.level1.shared_gate/0/bias': [0, 0, 0], // ⅓ each of [shared, a, b]
      's.level2.shared.0/0/kernel': [1, 0, 0, 1], 's.level2.shared.0/0/bias': [0, 0], // relu(shared mixture)
      's.level2.expert.a.0/0/kernel': [1, 0, 0, 1], 's.level2.expert.a.0/0/bias': [0, 0], // relu(a's mixture)
      's.level2.expert.b.0/0/kernel': [2, 0, 0, 2], 's.level2.expert.b.0/0/bias': [0, 0], // relu(2 · b's mixture)
      's.level2.gate.a/0/kernel': [1, 0, 0, 0], 's.level2.gate.a/0/bias': [0, 0], // softmax([m0, 0]) of a's mixture m
      's.level2.gate.b/0/kernel': [0, 0, 0, 0], 's.level2.gate.b/0/bias': [Math.log(3), 0], // [¾, ¼]
      ...heads,
    });
    // Level 1 as in the CGC test. x = [1, 2]: shared = [1, 2], expert a = [2, 2], expert b = [1, 3];
    //   mixture a = [1.75, 2], mixture b = [1, 2 + σ(-2)], shared mixture = ⅓·([1, 2] + [2, 2] + [1, 3]) = [4/3, 7/3].
    // Level 2: shared = [4/3, 7/3], expert a = [1.75, 2], expert b = [2, 4 + 2σ(-2)];
    //   gate a = softmax([1.75, 0]) = [σ(1.75), σ(-1.75)]  → a = σ(1.75)·(4/3 + 7/3) + σ(-1.75)·(1.75 + 2)
    //   gate b = [¾, ¼], second unit: ¾·7/3 + ¼·(4 + 2σ(-2)) → b = 2.75 + σ(-2)/2
    // x = [0, -1]: shared = [0, 0], expert a = [0, 1], expert b = [0, 3];
    //   mixture a = [0, 0.75], mixture b = [0, 1.5], shared mixture = ⅓·[0, 4] = [0, 4/3].
    // Level 2: shared = [0, 4/3], expert a = [0, 0.75], expert b = [0, 3];
    //   gate a = softmax([0, 0]) = [½, ½]                    → a = ½·4/3 + ½·0.75 = 25/24
    //   gate b = [¾, ¼]                                       → b = ¾·4/3 + ¼·3 = 1.75
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [0, -1]]) }, ['a', 'b'], false);
    assertAllClose(logits.get('a')!.dataSync(), [sigmoid(1.75) * (11 / 3) + sigmoid(-1.75) * 3.75, 25 / 24]);
    assertAllClose(logits.get('b')!.dataSync(), [2.75 + sigmoid(-2) / 2, 1.75]);
    model.dispose();
  });

  it('task a’s loss reaches task b’s first-level expert through the shared gate, not b’s last level or b’s gates', () => {
    const model = buildModel(job(), width, 3);
    const grads = gradientsOfA(model);
    for (const name of ['s.level1.expert.b.0/0/kernel', 's.level1.shared_gate/0/kernel', 's.level1.gate.a/0/kernel', 's.level2.shared.0/0/kernel', 's.level2.gate.a/0/kernel']) {
      assert.ok(nonzero(grads.get(name)), name);
    }
    for (const name of ['s.level1.gate.b/0/kernel', 's.level2.expert.b.0/0/kernel', 's.level2.gate.b/0/kernel']) assert.equal(grads.has(name), false, name);
    const trains = (tasks: string[]) => model.paramsFor(tasks).map((p) => p.name).filter((n) => n.endsWith('kernel') && !n.startsWith('head/'));
    assert.deepEqual(trains(['a']), [
      's.level1.expert.a.0/0/kernel', 's.level1.expert.b.0/0/kernel', 's.level1.gate.a/0/kernel', 's.level1.shared.0/0/kernel', 's.level1.shared_gate/0/kernel',
      's.level2.expert.a.0/0/kernel', 's.level2.gate.a/0/kernel', 's.level2.shared.0/0/kernel',
    ]);
    model.dispose();
  });
});

describe('the census PLE example', () => {
  before(useCpu);

  it('builds with readable parameter names: two levels, the shared gate below the last', () => {
    const { job } = compileProgram({ file: 'examples/census/census-ple.mtl' });
    assert.ok(job);
    // Vocabulary widths come from data; any will do to build the model.
    const model = buildModel(job, (w) => (typeof w === 'number' ? w : 3), 1);
    const names = model.params.map((p) => p.name);
    model.dispose();
    for (const name of [
      'extraction.level1.shared.1/0/kernel', 'extraction.level1.expert.income.0/0/bias', 'extraction.level1.shared_gate/0/kernel',
      'extraction.level2.gate.never_married/0/kernel', 'extraction.level2.shared.0/0/bias', 'head/income/kernel',
    ]) assert.ok(names.includes(name), name);
    assert.equal(names.filter((n) => n.includes('shared_gate')).length, 2, 'level 1 alone has a shared gate (kernel, bias)');
  });
});

describe('cgc and ple gates in the expert telemetry', () => {
  before(useCpu);

  it('probe each task gate (and a PLE level\'s shared gate), with the experts it mixes, and read its distribution', () => {
    const cgc = buildModel(twoTasks('cgc(expert: mlp(units: [2]), shared_experts: 1, task_experts: 1, tasks: [a, b])'), width, 1);
    assert.deepEqual(cgc.gates.map((g) => [g.gate, g.task, [...g.experts]]), [
      ['s.gate.a', 'a', ['s.shared.0', 's.expert.a.0']],
      ['s.gate.b', 'b', ['s.shared.0', 's.expert.b.0']],
    ]);
    setEvery(cgc, { ...firstLevel('s.'), ...heads });
    const x = tf.tensor2d([[1, 2]]);
    // gate a is [¼, ¾] whatever the row
    const weights = tf.tidy(() => Array.from(cgc.gates[0]!.observe((ref, task) => cgc.output({ x }, ref as Extract<typeof ref, { kind: 'layer' }>, task, false)).weights.dataSync()));
    assertAllClose(weights, [0.25, 0.75], 1e-6, 'gate a');
    x.dispose();
    cgc.dispose();
    const ple = buildModel(twoTasks('ple(expert: mlp(units: [2]), shared_experts: 1, task_experts: 1, levels: 2, tasks: [a, b])'), width, 1);
    assert.deepEqual(ple.gates.map((g) => g.gate).sort(), ['s.level1.gate.a', 's.level1.gate.b', 's.level1.shared_gate', 's.level2.gate.a', 's.level2.gate.b']);
    assert.deepEqual([...ple.gates.find((g) => g.gate === 's.level1.shared_gate')!.experts], ['s.level1.shared.0', 's.level1.expert.a.0', 's.level1.expert.b.0']);
    ple.dispose();
  });
});

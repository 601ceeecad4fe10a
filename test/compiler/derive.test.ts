/**
 * Variants derived from one program (`mtl run --ablate`): the structure of each derived job, exactly, and the
 * `--ablate` text they are asked for by.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveFromCompilation, type DerivedJob } from '../../compiler/derive/derive.js';
import { parseAblation, type VariantSpec } from '../../compiler/derive/variants.js';
import { parseJob } from '../../job/parse.js';
import { ROWS, compileSource } from './harness.js';

const program = (share: string, train = '', tower = '') => `${ROWS}
features f { dataset: rows, transforms: [standardize(age), onehot(color)] }
task a { features: f, target: label == 1, head: binary, metrics: [auc, logloss]${tower} }
task b { features: f, target: age, head: regression }
task c { features: f, target: hours, head: regression }
backbone trunk = mlp(units: [4, 3])
share s = ${share}
train { epochs: 2, seed: 9${train ? `, ${train}` : ''} }`;

function derive(source: string, specs: VariantSpec[]): DerivedJob[] {
  const c = compileSource(source);
  assert.ok(c.job, c.diagnostics.map((d) => d.message).join('\n'));
  const { jobs, problems } = deriveFromCompilation(c, 'main.mtl', specs);
  assert.deepEqual(problems, []);
  for (const j of jobs) parseJob(JSON.parse(JSON.stringify(j.job)), j.name);
  return jobs;
}

const hard = 'hard(backbone: trunk, tasks: [a, b, c])';

describe('derived variants', () => {
  it('single: each task alone, its share\'s backbone as a private module of the same layers, same seed and length', () => {
    const source = program(hard);
    const shared = compileSource(source).job!;
    const jobs = derive(source, [{ kind: 'single' }]);
    assert.deepEqual(jobs.map((j) => [j.name, j.row, j.job.tasks.map((t) => t.name)]), [
      ['single-a', 'single', ['a']], ['single-b', 'single', ['b']], ['single-c', 'single', ['c']],
    ]);
    const a = jobs[0]!.job;
    assert.deepEqual(a.modules.map((m) => [m.id, m.share, m.tasks, m.layers]), [
      ['a.backbone', null, ['a'], shared.modules.find((m) => m.id === 's')!.layers],
    ]);
    assert.deepEqual(a.tasks[0]!.from, { module: 'a.backbone', layer: 1 });
    assert.deepEqual(a.features, shared.features);
    assert.equal(a.training.seed, 9);
    assert.deepEqual(a.training.stages, [{ tasks: ['a'], frozen: [], epochs: 2, steps: null }]);
    assert.deepEqual(jobs[0]!.notes, []);
  });

  it('private: every task, no module read by two tasks', () => {
    for (const share of [hard, 'mmoe(expert: trunk, experts: 2, tasks: [a, b, c])', 'ple(expert: trunk, tasks: [a, b, c])', 'cross_stitch(backbone: trunk, tasks: [a, b])']) {
      const [derived] = derive(program(share), [{ kind: 'private' }]);
      const job = derived!.job;
      assert.deepEqual(job.tasks.map((t) => t.name), ['a', 'b', 'c'], share);
      for (const m of job.modules) assert.equal(m.tasks.length, 1, `${share}: module ${m.id} is read by ${m.tasks.join(', ')}`);
      assert.ok(job.modules.every((m) => m.sharing.kind === 'hard' && m.share === null), share);
    }
    const [mmoe] = derive(program('mmoe(expert: trunk, experts: 2, tasks: [a, b, c])'), [{ kind: 'private' }]);
    assert.deepEqual(mmoe!.notes, ['share `s` (mmoe): each task gets one expert\'s backbone, without experts or gates']);
    const [ple] = derive(program('ple(expert: trunk, tasks: [a, b, c])'), [{ kind: 'private' }]);
    assert.deepEqual(ple!.notes, ['share `s` (ple): each task gets one expert\'s backbone, without experts or gates']);
    assert.ok(ple!.job.modules.every((m) => m.tasks.length === 1 && m.sharing.kind === 'hard'));
  });

  it('shared: the program as written; scarcity: it with one task\'s training labels cut, for each fraction', () => {
    const source = program(hard);
    const shared = compileSource(source).job!;
    const jobs = derive(source, [{ kind: 'shared' }, { kind: 'scarcity', task: 'b', fractions: [0.5, 0.1] }]);
    assert.deepEqual(jobs.map((j) => j.name), ['shared', 'scarcity-b-0.5', 'scarcity-b-0.1']);
    assert.deepEqual(jobs[0]!.job, shared);
    const cut = jobs[2]!.job;
    assert.deepEqual(cut.tasks.map((t) => t.trainLabels ?? null), [null, { fraction: 0.1, seed: 9 }, null]);
    assert.deepEqual({ ...cut, tasks: cut.tasks.map(({ trainLabels: _, ...t }) => t) }, shared);
    assert.deepEqual(derive(source, [{ kind: 'scarcity', task: null, fractions: [0.5] }]).map((j) => j.name), ['scarcity-a-0.5', 'scarcity-b-0.5', 'scarcity-c-0.5']);
  });

  it('falls back, and says so, where a variant cannot keep what the program asks for', () => {
    const source = program(hard, 'aggregation: pcgrad(), weighting: gradnorm(), sampling: explicit(probs: { a: 0.5, b: 0.25, c: 0.25 }), select: best(metric: auc, task: a)');
    const [single, , , priv] = derive(source, [{ kind: 'single' }, { kind: 'private' }]);
    assert.deepEqual(single!.job.training.aggregation, { kind: 'sum' });
    assert.deepEqual(single!.job.training.weighting, { kind: 'equal' });
    assert.deepEqual(single!.job.training.sampling, { kind: 'proportional' });
    assert.equal(single!.job.training.conflictsEvery, 0);
    assert.deepEqual(single!.notes, [
      'aggregation `pcgrad` falls back to `sum`: no parameters are shared',
      'weighting `gradnorm` falls back to `equal`: it works on the gradients of shared parameters',
      'sampling `explicit` falls back to `proportional`: a single task has nothing to sample between',
    ]);
    assert.deepEqual(priv!.job.training.sampling, { kind: 'explicit', probs: { a: 0.5, b: 0.25, c: 0.25 } });
    assert.deepEqual(priv!.notes, single!.notes.slice(0, 2));
    // b reports no AUC: its baseline selects on its loss; a's keeps the program's selection.
    const b = derive(source, [{ kind: 'single' }])[1]!;
    assert.deepEqual(b.job.training.selection, { kind: 'best', metric: 'loss', task: 'mean', mode: 'min', objectives: [{ task: 'b', metric: 'loss', mode: 'min' }], patience: null });
    assert.ok(b.notes.includes('selection on `auc` falls back to `loss`: task `b` does not report it'));
    assert.deepEqual(single!.job.training.selection, { kind: 'best', metric: 'auc', task: 'a', mode: 'max', objectives: [{ task: 'a', metric: 'auc', mode: 'max' }], patience: null });
  });

  it('a weighted selection: each single variant keeps its own task\'s objective and weight; private keeps them all', () => {
    const source = program(hard, 'select: weighted(metrics: { a: logloss, b: mse }, weights: { a: 2, b: 3 })');
    const [a, b, , priv] = derive(source, [{ kind: 'single' }, { kind: 'private' }]);
    assert.deepEqual(a!.job.training.selection, { kind: 'weighted', objectives: [{ task: 'a', metric: 'logloss', mode: 'min' }], weights: { a: 2 }, patience: null });
    assert.deepEqual(b!.job.training.selection, { kind: 'weighted', objectives: [{ task: 'b', metric: 'mse', mode: 'min' }], weights: { b: 3 }, patience: null });
    assert.deepEqual(priv!.job.training.selection, compileSource(source).job!.training.selection);
  });

  it('keeps a task\'s stages, for as long, and freezes the private copies of a frozen share', () => {
    const source = program(hard, 'stages: [stage(tasks: [a, b], epochs: 1), stage(tasks: [c], freeze: [s], epochs: 3)]').replace('epochs: 2, ', '');
    const jobs = derive(source, [{ kind: 'single' }, { kind: 'private' }]);
    assert.deepEqual(jobs[2]!.job.training.stages, [{ tasks: ['c'], frozen: ['c.backbone'], epochs: 3, steps: null }]);
    assert.deepEqual(jobs[0]!.job.training.stages, [{ tasks: ['a'], frozen: [], epochs: 1, steps: null }]);
    assert.deepEqual(jobs[3]!.job.training.stages[1], { tasks: ['c'], frozen: ['a.backbone', 'b.backbone', 'c.backbone'], epochs: 3, steps: null });
  });

  it('names a scarcity of a task that does not train', () => {
    const c = compileSource(program(hard));
    assert.deepEqual(deriveFromCompilation(c, 'main.mtl', [{ kind: 'scarcity', task: 'z', fractions: [0.5] }]).problems,
      ['`scarcity:z`: the program has no task `z` that trains (its tasks: a, b, c)']);
  });
});

describe('--ablate text', () => {
  it('reads variants, a scarcity\'s fractions after it and its task', () => {
    assert.deepEqual(parseAblation('single,private,shared,scarcity=0.5,0.25,0.1'), {
      specs: [{ kind: 'single' }, { kind: 'private' }, { kind: 'shared' }, { kind: 'scarcity', task: null, fractions: [0.5, 0.25, 0.1] }],
    });
    assert.deepEqual(parseAblation('scarcity:income=0.5,shared,scarcity'), {
      specs: [{ kind: 'scarcity', task: 'income', fractions: [0.5] }, { kind: 'shared' }, { kind: 'scarcity', task: null, fractions: [0.5, 0.25, 0.1] }],
    });
  });

  it('says what is wrong', () => {
    assert.deepEqual(parseAblation('single,privat'), { error: 'unknown variant `privat` in `--ablate single,privat`; expected one of single, private, shared, scarcity (a scarcity as `scarcity`, `scarcity=0.5,0.25` or `scarcity:TASK=0.5`)' });
    assert.deepEqual(parseAblation('scarcity=1.5'), { error: 'a scarcity fraction must be a number between 0 and 1 (exclusive), found `1.5`' });
    assert.deepEqual(parseAblation('single:a'), { error: '`single:a`: only `scarcity` takes a task or fractions' });
  });
});

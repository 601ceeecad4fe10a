/**
 * Task dependencies through the compiler: the IR orders each head after the heads it reads or multiplies, the job
 * carries them, a weight-0 task that another reads stays (it trains through it), and `--ablate single` keeps what a
 * task needs beside it, trained only through it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveFromCompilation } from '../../compiler/derive/derive.js';
import { topologicalOrder } from '../../compiler/ir/graph.js';
import { ROWS, compileSource } from './harness.js';

const program = (extra = '') => `${ROWS}
features f { dataset: rows, transforms: [standardize(age, hours)] }
share trunk = hard(backbone: mlp(units: [4]), tasks: [ctr, cvr, reader])
task reader { features: f, target: age > 30, head: binary, reads: [ctr] }
task ctcvr { features: f, target: flag and label == 1, head: binary, product: [ctr, cvr] }
task cvr { features: f, target: label == 1, head: binary, weight: 0 }
task ctr { features: f, target: flag, head: binary }
${extra}`;

function compiled(source: string) {
  const c = compileSource(source, { options: { verifyIr: true } });
  assert.ok(c.job && c.graph, c.diagnostics.map((d) => d.message).join('\n'));
  return c;
}

describe('task dependencies in the compiler', () => {
  it('orders every head after the heads it reads or multiplies', () => {
    const { graph } = compiled(program());
    const heads = topologicalOrder(graph!, new Set(['head'])).map((id) => id.replace('head:', ''));
    for (const [before, after] of [['ctr', 'ctcvr'], ['cvr', 'ctcvr'], ['ctr', 'reader']] as const) {
      assert.ok(heads.indexOf(before) < heads.indexOf(after), `${before} before ${after} in ${heads.join(', ')}`);
    }
    assert.deepEqual(graph!.predecessors('head:ctcvr')!.sort(), ['head:ctr', 'head:cvr', 'input:f']);
  });

  it('writes the dependencies into the job; a product task reads its input and owns no module', () => {
    const { job } = compiled(program());
    const byName = new Map(job!.tasks.map((t) => [t.name, t]));
    assert.deepEqual(byName.get('ctcvr')!.product, ['ctr', 'cvr']);
    assert.deepEqual(byName.get('ctcvr')!.from, { input: 'f' });
    assert.equal(byName.get('ctcvr')!.reads, undefined);
    assert.deepEqual(byName.get('reader')!.reads, ['ctr']);
    assert.equal(byName.get('ctr')!.reads, undefined);
    assert.equal(byName.get('ctr')!.product, undefined);
    // cvr's weight is 0, but ctcvr trains it: it stays, and no warning says it never trains
    assert.equal(byName.get('cvr')!.weight, 0);
    assert.deepEqual(job!.modules.map((m) => [m.id, m.tasks]), [['trunk', ['ctr', 'cvr', 'reader']]]);
  });

  it('still drops, and warns about, a weight-0 task that no task reads', () => {
    const c = compiled(program('task lone { features: f, target: flag, head: binary, backbone: mlp(units: [2]), weight: 0 }'));
    assert.equal(c.job!.tasks.some((t) => t.name === 'lone'), false);
    assert.deepEqual(c.diagnostics.map((d) => [d.code, d.message]), [['MTL0902', 'task `lone` never trains: its weight is 0']]);
  });

  it('`--ablate single` keeps the tasks a task reads or multiplies, in none of its stages', () => {
    const c = compiled(program());
    const { jobs } = deriveFromCompilation(c, 'main.mtl', [{ kind: 'single' }]);
    const single = jobs.find((j) => j.name === 'single-ctcvr')!;
    assert.deepEqual(single.job.tasks.map((t) => t.name), ['ctcvr', 'ctr', 'cvr']);
    assert.deepEqual(single.job.training.stages.map((s) => s.tasks), [['ctcvr']]);
    assert.deepEqual(single.notes, ['task `ctcvr` keeps the tasks whose predictions it reads or multiplies (`ctr`, `cvr`), trained only through it']);
    const alone = jobs.find((j) => j.name === 'single-ctr')!;
    assert.deepEqual(alone.job.tasks.map((t) => t.name), ['ctr']);
  });
});

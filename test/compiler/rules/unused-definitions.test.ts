/** Rule `unused-definitions`: a dataset, feature set or backbone no task uses, or a share of no task, is probably a mistake (warning). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, single } from '../harness.js';

const rule = { options: { only: ['unused-definitions'] } };
const used = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
share s = hard(backbone: trunk, tasks: [a, b])`;

describe('rule unused-definitions', () => {
  it('warns about each unused dataset, feature set and backbone, at its name', () => {
    const source = `${used}
dataset spare { files: "data/rows.arrow", columns: { x: float } }
features lonely { dataset: rows, transforms: [standardize(hours)] }
backbone idle = mlp(units: [2])`;
    const c = expectDiagnostics(source, [
      { code: 'MTL0901', severity: 'warning', ...pos(source, 'spare'), message: 'dataset `spare` is never used' },
      { code: 'MTL0901', severity: 'warning', ...pos(source, 'lonely'), message: 'features `lonely` is never used' },
      { code: 'MTL0901', severity: 'warning', ...pos(source, 'idle'), message: 'backbone `idle` is never used' },
    ], rule);
    assert.ok(c.diagnostics.every((d) => d.help === 'use it in a task or share, or remove it'));
  });

  it('warns about a share with no tasks', () => {
    const source = `${used}
share nobody = hard(backbone: trunk, tasks: [])`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0901', severity: 'warning', ...pos(source, 'nobody'), message: 'share `nobody` has no tasks' }], rule));
    assert.equal(d.help, 'list the tasks that share it');
  });

  it('counts uses through other backbones, towers and frozen stages', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone base = mlp(units: [4])
backbone stacked = sequential(base, mlp(units: [2]))
backbone head_layers = mlp(units: [2])
task a { features: f, target: age, head: regression, backbone: stacked, tower: head_layers }
backbone frozen_only = mlp(units: [2])
train { stages: [stage(tasks: [a], freeze: [frozen_only], epochs: 1)] }`, [], rule);
  });

  it('leaves definitions of imported files alone', () => {
    expectDiagnostics(`import "lib.mtl"
${used}`, [], { ...rule, files: { 'lib.mtl': 'backbone library_only = mlp(units: [2])\n' } });
  });

  it('says nothing once the program has an error: what looks unused is usually what a broken reference meant', () => {
    const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
features spare { dataset: rows, transforms: [standardize(hours)] }
task a { features: spar, target: age, head: regression }`;
    expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'spar,'), message: 'unknown features `spar`' }], rule);
  });
});

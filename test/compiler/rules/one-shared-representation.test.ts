/** Rule `one-shared-representation`: `on: representation` needs one output of a hard-shared backbone that every task reads. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['one-shared-representation'] } };
const tasks = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone trunk = mlp(units: [4, 4])
task a { features: f, target: hours, head: regression }
task b { features: f, target: label, head: regression }`;
const onZ = 'train { aggregation: mgda(on: representation) }';

describe('rule one-shared-representation', () => {
  it('accepts hard sharing of every task, with towers of their own', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: hours, head: regression, tower: mlp(units: [3]) }
task b { features: f, target: label, head: regression }
share s = hard(backbone: mlp(units: [4]), tasks: [a, b])
${onZ}`, [], rule);
  });

  for (const [scheme, says] of [
    ['mmoe(expert: trunk, tasks: [a, b])', '`mmoe` mixes the experts by a gate of each task'],
    ['adapters(backbone: trunk, tasks: [a, b])', '`adapters` changes the backbone\'s output for each task with its adapters'],
    ['cross_stitch(backbone: trunk, tasks: [a, b])', '`cross_stitch` gives each task a column of its own'],
    ['soft(backbone: trunk, tasks: [a, b])', '`soft` gives each task a column of its own'],
  ] as const) {
    it(`reports ${scheme.split('(')[0]} sharing at the share, saying why`, () => {
      const source = `${tasks}\nshare s = ${scheme}\n${onZ}`;
      const c = expectDiagnostics(source, [{
        code: 'MTL0408', ...pos(source, scheme.split('(')[0]! + '('),
        message: `\`on: representation\` needs one representation that every task reads, but ${says}`,
      }], rule);
      const d = single(c);
      assert.equal(d.help, 'share one backbone with `hard(...)`, or take the gradients of the shared parameters (`on: parameters`)');
      assert.deepEqual(d.secondary.map((s) => labelAt(c, s.span)), [pos(source, 'representation')]);
    });
  }

  it('reports a task in no share at its name', () => {
    const source = `${tasks}
task c { features: f, target: age, head: regression }
share s = hard(backbone: trunk, tasks: [a, b])
${onZ}`;
    expectDiagnostics(source, [{ code: 'MTL0408', ...pos(source, 'task c', 1, 'c'), message: '`on: representation` needs one representation that every task reads, but task `c` is in no share' }], rule);
  });

  it('reports tasks of two hard shares at the second, the first as secondary', () => {
    const source = `${tasks}
task c { features: f, target: age, head: regression }
share s = hard(backbone: trunk, tasks: [a, b])
share t = hard(backbone: mlp(units: [2]), tasks: [c])
${onZ}`;
    const c = expectDiagnostics(source, [{
      code: 'MTL0408', ...pos(source, 'tasks: [c]', 1, 'c'),
      message: '`on: representation` needs one representation that every task reads, but tasks `a` and `c` read different shares (`s` and `t`)',
    }], rule);
    assert.deepEqual(single(c).secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [
      { ...pos(source, 'tasks: [a, b]', 1, 'a'), message: '`a` reads `s`' },
      { ...pos(source, 'representation'), message: 'the aggregation takes the gradients of the representation' },
    ]);
  });

  it('reports heads at different depths of the shared backbone at the depth', () => {
    const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: hours, head: regression }
task b { features: f, target: label, head: regression, depth: 1 }
share s = hard(backbone: mlp(units: [4, 4]), tasks: [a, b])
${onZ}`;
    expectDiagnostics(source, [{
      code: 'MTL0408', ...pos(source, 'depth: 1', 1, '1'),
      message: '`on: representation` needs one representation that every task reads, but tasks `a` and `b` read `s`\'s backbone at different depths (2 and 1)',
    }], rule);
  });

  it('accepts a depth that is the whole backbone', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: hours, head: regression }
task b { features: f, target: label, head: regression, depth: 2 }
share s = hard(backbone: mlp(units: [4, 4]), tasks: [a, b])
${onZ}`, [], rule);
  });

  it('says nothing on the parameters, or for a method without the form (representation-form reports it)', () => {
    expectDiagnostics(`${tasks}\nshare s = mmoe(expert: trunk, tasks: [a, b])\ntrain { aggregation: mgda(on: parameters) }`, [], rule);
    expectDiagnostics(`${tasks}\nshare s = mmoe(expert: trunk, tasks: [a, b])\ntrain { aggregation: pcgrad(on: representation) }`, [], rule);
  });
});

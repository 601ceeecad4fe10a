/** Rule `one-share-per-task`: a task is in at most one share, without a private backbone; sharers read one input layout. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['one-share-per-task'] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age), onehot(color)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }`;

describe('rule one-share-per-task', () => {
  it('reports a task in two shares at the second listing, with the first as secondary span', () => {
    const source = `${prelude}
share one = hard(backbone: trunk, tasks: [a, b])
share two = adapters(backbone: trunk, tasks: [a])`;
    const c = expectDiagnostics(source, [{ code: 'MTL0304', ...pos(source, '[a]', 1, 'a'), message: 'task `a` is in two shares, `one` and `two`' }], rule);
    const d = single(c);
    assert.equal(d.primary.message, 'also in `two`');
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, '[a, b]', 1, 'a'), message: 'in `one` here' }]);
  });

  it('reports a task listed twice in one share', () => {
    const source = `${prelude}
share one = hard(backbone: trunk, tasks: [a, b, a])`;
    expectDiagnostics(source, [{ code: 'MTL0307', ...pos(source, 'b, a', 1, 'a'), message: 'task `a` is listed twice in share `one`' }], rule);
  });

  it('reports a private backbone on a task that is in a share', () => {
    const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression, backbone: mlp(units: [2]) }
task b { features: f, target: hours, head: regression }
share one = hard(backbone: trunk, tasks: [a, b])`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0308', ...pos(source, 'mlp(units: [2])'), message: 'task `a` has its own backbone but is also in share `one`' }], rule));
    assert.equal(d.help, 'remove `backbone:` (the share provides it) or take the task out of the share; task-specific layers go in `tower:`');
  });

  it('reports hard-sharing tasks that read different features, with both tasks as spans', () => {
    const source = `${prelude}
features g { dataset: rows, transforms: [onehot(color)] }
task c { features: g, target: label, head: regression }
share one = hard(backbone: trunk, tasks: [a, c])`;
    const c = expectDiagnostics(source, [{ code: 'MTL0306', ...pos(source, '[a, c]', 1, 'c'), message: 'tasks sharing `one` read different features (`f` and `g`)' }], rule);
    const d = single(c);
    assert.equal(d.primary.message, '`c` reads `g`');
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, '[a, c]', 1, 'a'), message: '`a` reads `f`' }]);
  });

  it('accepts feature sets of different datasets with the same numeric transforms of the same columns', () => {
    expectDiagnostics(`${ROWS}
dataset more { files: "data/rows.arrow", columns: { age: float, hours: int } }
features f { dataset: rows, transforms: [standardize(age, hours)] }
features g { dataset: more, transforms: [standardize(age, hours)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression }
task b { features: g, target: hours, head: regression }
share one = hard(backbone: trunk, tasks: [a, b])`, [], rule);
  });

  it('reports soft sharing over feature sets of different layouts: the tie needs columns of one shape', () => {
    const source = `${prelude}
features g { dataset: rows, transforms: [onehot(color)] }
task c { features: g, target: label, head: regression }
share one = soft(backbone: trunk, tasks: [a, c])`;
    const c = expectDiagnostics(source, [{ code: 'MTL0306', ...pos(source, '[a, c]', 1, 'c'), message: 'tasks sharing `one` read different features (`f` and `g`)' }], rule);
    assert.match(single(c).help ?? '', /^tied columns need one input layout/);
  });

  it('leaves cross-stitch over different features to its own rule (MTL0310), and accepts soft sharing of one layout', () => {
    expectDiagnostics(`${ROWS}
dataset more { files: "data/rows.arrow", columns: { age: float, hours: int } }
features f { dataset: rows, transforms: [standardize(age, hours)] }
features g { dataset: more, transforms: [standardize(age, hours)] }
features h { dataset: rows, transforms: [onehot(color)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression }
task b { features: g, target: hours, head: regression }
task c { features: f, target: age, head: regression }
task d { features: h, target: label, head: regression }
share one = soft(backbone: trunk, tasks: [a, b])
share two = cross_stitch(backbone: trunk, tasks: [c, d])`, [], rule);
  });
});

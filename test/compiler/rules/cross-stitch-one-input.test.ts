/** Rule `cross-stitch-one-input`: the tasks of a share whose scheme mixes rows (cross-stitch) read one feature set. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['cross-stitch-one-input'] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
features g { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
task c { features: g, target: hours, head: regression }`;

describe('rule cross-stitch-one-input', () => {
  it('reports the first task reading other features, with the first task as secondary span', () => {
    const source = `${prelude}
share cs = cross_stitch(backbone: mlp(units: [4]), tasks: [a, b, c])`;
    const c = expectDiagnostics(source, [{ code: 'MTL0310', ...pos(source, 'b, c]', 1, 'c'), message: 'the tasks of `cross_stitch` share `cs` read different features (`f` and `g`)' }], rule);
    const d = single(c);
    assert.equal(d.help, '`cross_stitch` mixes the columns on the same rows: give these tasks one feature set, or share them with `hard`, `adapters`, `soft`, `mmoe`, `cgc`, `ple`, `lora` or `mtan`');
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, '[a, b', 1, 'a'), message: '`a` reads `f`' }]);
  });

  it('accepts tasks of one feature set, and other schemes across feature sets', () => {
    expectDiagnostics(`${prelude}
share cs = cross_stitch(backbone: mlp(units: [4]), tasks: [a, b])
share s = soft(backbone: mlp(units: [4]), tasks: [c])`, [], rule);
  });
});

/** Rule `duplicate-names`: two declarations of one kind may not share a name; a program has one `train` block. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['duplicate-names'] } };
const rest = `features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }`;

describe('rule duplicate-names', () => {
  it('reports the second declaration, with the first as a secondary span', () => {
    const source = `${ROWS}
dataset rows { files: "data/rows.arrow", columns: { age: float } }
${rest}`;
    const c = expectDiagnostics(source, [{ code: 'MTL0102', ...pos(source, 'dataset rows', 2, 'rows'), message: 'dataset `rows` is declared twice' }], rule);
    const d = single(c);
    assert.equal(d.primary.message, 'dataset `rows` declared again here');
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'dataset rows', 1, 'rows'), message: 'first declared here' }]);
    assert.equal(d.help, 'rename one of them');
  });

  it('reports each later duplicate against the first', () => {
    const source = `${ROWS}
${rest}
task t { features: f, target: hours, head: regression }
task t { features: f, target: label, head: regression }`;
    const c = expectDiagnostics(source, [
      { code: 'MTL0102', ...pos(source, 'task t', 2, 't'), message: 'task `t` is declared twice' },
      { code: 'MTL0102', ...pos(source, 'task t', 3, 't'), message: 'task `t` is declared twice' },
    ], rule);
    for (const d of c.diagnostics) assert.deepEqual(labelAt(c, d.secondary[0]!.span), pos(source, 'task t', 1, 't'));
  });

  it('reports a second train block at its keyword', () => {
    const source = `${ROWS}
${rest}
train { epochs: 1 }
train { epochs: 2 }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0102', ...pos(source, 'train', 2), message: 'the program has two `train` blocks' }], rule));
    assert.equal(d.help, 'merge them into one');
  });

  it('allows one name for declarations of different kinds', () => {
    const source = `${ROWS}
features rows { dataset: rows, transforms: [standardize(age)] }
backbone rows = mlp(units: [4])
task rows { features: rows, target: age, head: regression, backbone: rows }`;
    expectDiagnostics(source, [], rule);
  });

  it('finds duplicates across a plain import, each in its own file', () => {
    const source = `import "lib.mtl"
${ROWS}
${rest}`;
    const c = expectDiagnostics(source, [{ code: 'MTL0102', ...pos(source, 'dataset rows', 1, 'rows'), message: 'dataset `rows` is declared twice' }], {
      ...rule, files: { 'lib.mtl': 'dataset rows { files: "data/rows.arrow", columns: { age: float } }\n' },
    });
    assert.equal(single(c).secondary[0]!.span.file, 'lib.mtl');
  });
});

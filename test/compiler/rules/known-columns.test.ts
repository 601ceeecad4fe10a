/** Rule `known-columns`: every column a program reads is declared in its dataset's `columns`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single, compileSource } from '../harness.js';

const rule = { options: { only: ['known-columns'] } };

describe('rule known-columns', () => {
  it('reports a transform of an undeclared column where it is named, with the dataset as secondary span', () => {
    const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age, hour)] }
task t { features: f, target: age, head: regression }`;
    const c = expectDiagnostics(source, [{ code: 'MTL0201', ...pos(source, 'hour)'), message: 'dataset `rows` has no column `hour`' }], rule);
    const d = single(c);
    assert.equal(d.help, 'did you mean `hours`?');
    assert.equal(d.primary.message, 'not among its columns');
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'rows'), message: 'the dataset is declared here' }]);
  });

  it('reports every undeclared column of a target expression', () => {
    const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: income > 3 and not married, head: binary }`;
    expectDiagnostics(source, [
      { code: 'MTL0201', ...pos(source, 'income'), message: 'dataset `rows` has no column `income`' },
      { code: 'MTL0201', ...pos(source, 'married'), message: 'dataset `rows` has no column `married`' },
    ], rule);
  });

  it('suggests declaring the column when no declared one is close', () => {
    const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(zzzzzz)] }
task t { features: f, target: age, head: regression }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0201', ...pos(source, 'zzzzzz') }], rule));
    assert.equal(d.help, "declare it in the dataset's `columns` with its type, e.g. `zzzzzz: float`");
  });

  it('checks the column a split reads', () => {
    const source = `dataset rows {
  files: "data/rows.arrow"
  columns: { age: float, part: string }
  split: by_column(column: parts)
}
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }`;
    expectDiagnostics(source, [{ code: 'MTL0201', line: 4, column: 28, message: 'dataset `rows` has no column `parts`' }], rule);
  });

  it('accepts declared columns, including those read in `in` lists and arithmetic', () => {
    const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age, hours), onehot(color)] }
task t { features: f, target: color in ["red", "blue"] or age * 2 > hours, head: binary }`;
    expectDiagnostics(source, [], rule);
  });

  it('says nothing about columns of a dataset whose `columns` did not elaborate (already reported)', () => {
    const source = `dataset rows { files: "data/rows.arrow", columns: [age] }
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: label, head: regression }`;
    expectDiagnostics(source, [{ code: 'MTL0104', line: 1, column: 51, message: 'expected a record of column types by column name, found a list' }], rule);
  });

  it('counts a column declared with a misspelled type as declared', () => {
    const source = `dataset rows { files: "data/rows.arrow", columns: { age: flaot, label: int } }
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: label, head: regression }`;
    expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'flaot'), message: 'unknown column type `flaot`' }], rule);
  });

  it('reads columns from the dataset of the features each task reads', () => {
    const source = `${ROWS}
dataset other { files: "data/rows.arrow", columns: { x: float, y: float } }
features f { dataset: rows, transforms: [standardize(age)] }
features g { dataset: other, transforms: [standardize(x)] }
task t { features: g, target: age, head: regression }
task u { features: f, target: y, head: regression }`;
    const c = compileSource(source, rule);
    assert.deepEqual(c.diagnostics.map((d) => d.message), ['dataset `other` has no column `age`', 'dataset `rows` has no column `y`']);
  });
});

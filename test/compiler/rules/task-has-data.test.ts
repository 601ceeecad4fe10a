/** Rule `task-has-data`: dataset files match at least one file (relative to the program); feature sets list transforms. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expectDiagnostics, pos, single, repoRoot } from '../harness.js';

const rule = { options: { only: ['task-has-data'] } };
const program = (files: string) => `dataset rows { files: ${files}, columns: { age: float } }
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }
task u { features: f, target: age, head: regression }`;

describe('rule task-has-data', () => {
  it('reports a glob that matches nothing, naming the tasks left without data', () => {
    const source = program('"data/part-*.arrow"');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0204', ...pos(source, '"data/part'), message: 'no file matches `data/part-*.arrow`' }], rule));
    assert.equal(d.primary.message, 'looked in data');
    assert.equal(d.help, "tasks `t`, `u` would have no data; paths are relative to the program's file, and only regular files are data (not a directory, device or named pipe); CSV files can be converted with `mtl data import FILE.csv -o FILE.arrow`");
  });

  it('reports each missing file of a list, and accepts those that exist', () => {
    const source = program('["data/rows.arrow", "data/gone.arrow"]');
    expectDiagnostics(source, [{ code: 'MTL0204', ...pos(source, '"data/gone'), message: 'no file matches `data/gone.arrow`' }], rule);
  });

  it('resolves files relative to the program, not the working directory', () => {
    expectDiagnostics(program('"../data/rows.arrow"'), [], { ...rule, file: 'programs/main.mtl' });
    const source = program('"data/rows.arrow"');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0204', ...pos(source, '"data') }], { ...rule, file: 'programs/main.mtl' }));
    assert.equal(d.primary.message, `looked in ${path.join('programs', 'data')}`);
  });

  it('accepts an absolute path', () => {
    const tiny = path.join(repoRoot, 'test', 'fixtures', 'data', 'tiny.arrow');
    expectDiagnostics(program(JSON.stringify(tiny)), [], { ...rule, files: { [tiny]: '' } });
  });

  it('reports a dataset that lists no files', () => {
    const source = program('[]');
    expectDiagnostics(source, [{ code: 'MTL0209', ...pos(source, '[]'), message: 'dataset `rows` lists no files' }], rule);
  });

  it('reports a feature set without transforms', () => {
    const source = `dataset rows { files: "data/rows.arrow", columns: { age: float } }
features f { dataset: rows, transforms: [] }
task t { features: f, target: age, head: regression }`;
    expectDiagnostics(source, [{ code: 'MTL0210', ...pos(source, '[]'), message: 'features `f` have no transforms' }], rule);
  });
});

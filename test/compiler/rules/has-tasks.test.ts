/** Rule `has-tasks`: a program trains at least one task. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, single } from '../harness.js';

const rule = { options: { only: ['has-tasks'] } };

describe('rule has-tasks', () => {
  it('reports an empty program at the start of the file', () => {
    const d = single(expectDiagnostics('', [{ code: 'MTL0405', line: 1, column: 1, message: 'the program declares no task' }], rule));
    assert.deepEqual([d.primary.span.start, d.primary.span.end], [0, 0]);
    assert.equal(d.help, 'declare one: `task name { features: ..., target: ..., head: binary }`');
  });

  it('reports a program with data but no task', () => {
    expectDiagnostics(`// comments only, then data\n${ROWS}\n`, [{ code: 'MTL0405', line: 1, column: 1 }], rule);
  });

  it('is satisfied by one task', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }`, [], rule);
  });
});

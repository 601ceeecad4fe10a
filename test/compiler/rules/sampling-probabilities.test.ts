/** Rule `sampling-probabilities`: explicit probabilities cover every task and sum to 1; a temperature's cap leaves room for every task. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, single } from '../harness.js';

const rule = { options: { only: ['sampling-probabilities'] } };
const program = (sampling: string, tasks = ['a', 'b', 'c']) => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
${tasks.map((t) => `task ${t} { features: f, target: age, head: regression }`).join('\n')}
train { sampling: ${sampling} }`;

describe('rule sampling-probabilities', () => {
  it('reports probabilities that do not sum to 1, at the record, spelling out the sum', () => {
    const source = program('explicit(probs: { a: 0.5, b: 0.25, c: 0.5 })');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0401', ...pos(source, '{ a:'), message: 'sampling probabilities sum to 1.25, not 1' }], rule));
    assert.equal(d.primary.message, '0.5 + 0.25 + 0.5');
    assert.equal(d.help, 'make them sum to 1, or use `proportional()` or `temperature(t: 2)`');
  });

  it('reports tasks given no probability', () => {
    const source = program('explicit(probs: { a: 1 })');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0401', ...pos(source, '{ a:'), message: 'explicit sampling gives no probability to `b`, `c`' }], rule));
    assert.equal(d.help, 'give every task a probability (0 to never sample it)');
  });

  it('accepts probabilities summing to 1 with zeros', () => {
    expectDiagnostics(program('explicit(probs: { a: 0.7, b: 0.3, c: 0 })'), [], rule);
  });

  it('reports a cap that cannot hold for the number of tasks, and leaves one outside (0, 1] to value-limits', () => {
    const three = program('temperature(cap: 0.3)');
    const d = single(expectDiagnostics(three, [{ code: 'MTL0401', ...pos(three, '0.3'), message: 'a cap of 0.3 cannot hold for 3 tasks' }], rule));
    assert.equal(d.help, 'the cap must be in (0, 1] and at least 1/3 so probabilities can sum to 1');
    expectDiagnostics(program('temperature(cap: 1.5)'), [], rule);
  });

  it('accepts a cap of exactly one over the number of tasks', () => {
    expectDiagnostics(program('temperature(t: 3, cap: 0.5)', ['a', 'b']), [], rule);
  });

  it('checks the sampling of every phase of a schedule', () => {
    const source = program('scheduled(phases: [phase(until: 10, sampling: explicit(probs: { a: 1 })), phase(sampling: temperature(cap: 0.1))])');
    expectDiagnostics(source, [
      { code: 'MTL0401', ...pos(source, '{ a: 1 }'), message: 'explicit sampling gives no probability to `b`, `c`' },
      { code: 'MTL0401', ...pos(source, '0.1'), message: 'a cap of 0.1 cannot hold for 3 tasks' },
    ], rule);
  });
});

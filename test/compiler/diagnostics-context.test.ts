/**
 * The diagnostics context shows warnings only for a program without errors, whichever rule reported first: rules
 * just report, and the policy lives in one place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticsContext } from '../../compiler/check/context.js';
import { knownColumns } from '../../compiler/check/rules/known-columns.js';
import { unusedDefinitions } from '../../compiler/check/rules/unused-definitions.js';
import { tasksThatNeverTrain } from '../../compiler/check/rules/tasks-that-never-train.js';
import { ROWS, compileSource, expectDiagnostics, pos } from './harness.js';

const span = (start: number) => ({ file: 'main.mtl', start, end: start + 1 });
const warning = { code: 'MTL0901', severity: 'warning' as const, message: 'backbone `idle` is never used', span: span(1) };
const error = { code: 'MTL0201', message: 'dataset `rows` has no column `agee`', span: span(5) };

describe('diagnostics context', () => {
  it('shows the warnings of a program without errors, in source order', () => {
    const ctx = new DiagnosticsContext();
    ctx.report({ ...warning, span: span(9) });
    ctx.report(warning);
    assert.deepEqual(ctx.diagnostics.map((d) => [d.code, d.primary.span.start]), [['MTL0901', 1], ['MTL0901', 9]]);
  });

  it('drops the warnings once there is an error, reported before or after them', () => {
    for (const order of [[warning, error], [error, warning]]) {
      const ctx = new DiagnosticsContext();
      for (const d of order) ctx.report(d);
      assert.deepEqual(ctx.diagnostics.map((d) => d.code), ['MTL0201']);
    }
  });

  it('counts only errors towards the cap', () => {
    const ctx = new DiagnosticsContext(1);
    ctx.report(warning);
    ctx.report(error);
    ctx.report({ ...error, span: span(7) });
    assert.deepEqual(ctx.diagnostics.map((d) => d.code), ['MTL0201', 'MTL0005']);
  });
});

describe('a program with an error and an unused definition', () => {
  const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone idle = mlp(units: [2])
task a { features: f, target: agee, head: regression, weight: 0 }`;

  it('shows only the error', () => {
    expectDiagnostics(source, [{ code: 'MTL0201', ...pos(source, 'agee') }]);
  });

  it('shows only the error whatever the order of the rules', () => {
    const program = compileSource(source, { options: { only: [] } }).checked!;
    const rules = [unusedDefinitions, tasksThatNeverTrain, knownColumns];
    for (const order of [rules, [...rules].reverse()]) {
      const ctx = new DiagnosticsContext();
      for (const rule of order) rule.run(program, ctx, {});
      assert.deepEqual(ctx.diagnostics.map((d) => d.code), ['MTL0201'], order.map((r) => r.name).join(', '));
    }
  });

  it('without the error, shows the warnings', () => {
    const fixed = source.replace('agee', 'age');
    expectDiagnostics(fixed, [
      { code: 'MTL0901', severity: 'warning', ...pos(fixed, 'idle') },
      { code: 'MTL0902', severity: 'warning', ...pos(fixed, 'weight: 0', 1, '0') },
    ]);
  });
});

/**
 * Checking thousands of unknown names stays linear. A "did you mean" compares a name with every declared name of its
 * kind, so working one out for each of N unknown names among N declared ones was quadratic (50,000 took a minute).
 * Now it is worked out only for the diagnostics shown (none past `--max-errors`), and all of them together compare
 * at most SUGGESTION_BUDGET names. Counted, not timed: `suggestionComparisons` is that work.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticsContext, DEFAULT_MAX_ERRORS, SUGGESTION_BUDGET } from '../../compiler/check/context.js';
import { buildScope } from '../../compiler/check/scope.js';
import { elaborate } from '../../compiler/check/elaborate.js';
import { taskKeys } from '../../compiler/check/rules/task-keys.js';
import { loadProgram } from '../../compiler/syntax/load.js';
import { DATA_FILE, ROWS, compileSource, memoryHost } from './harness.js';

const TASKS = 2000;

/** TASKS tasks `task_<i>`, and a share listing each of them misspelled `tsak_<i>`: TASKS unknown names. */
function misspelledShare(tasks: number): string {
  const names = Array.from({ length: tasks }, (_, i) => i);
  return [
    ROWS,
    'features f { dataset: rows, transforms: [standardize(age)] }',
    'backbone trunk = mlp(units: [4])',
    ...names.map((i) => `task task_${i} { features: f, target: age, head: regression }`),
    `share s = hard(backbone: trunk, tasks: [${names.map((i) => `tsak_${i}`).join(', ')}])`,
  ].join('\n');
}

/** Elaborates `source` (where references are resolved) into `ctx`, and returns what it shows. */
function elaborated(source: string, ctx: DiagnosticsContext) {
  const loaded = loadProgram('main.mtl', memoryHost({ [DATA_FILE]: '', 'main.mtl': source }), { text: source });
  assert.deepEqual(loaded.diagnostics, []);
  elaborate(buildScope(loaded.value), ctx);
  return ctx.diagnostics;
}

describe('checking many unknown names', () => {
  const source = misspelledShare(TASKS);

  it('works out a suggestion only for the errors shown: one comparison per declared task for each of the first 50', () => {
    const ctx = new DiagnosticsContext();
    const shown = elaborated(source, ctx);
    assert.deepEqual(shown.map((d) => d.code), [...Array<string>(DEFAULT_MAX_ERRORS).fill('MTL0101'), 'MTL0005']);
    assert.equal(shown.at(-1)!.message, `too many errors: showing the first ${DEFAULT_MAX_ERRORS} of ${TASKS}`);
    assert.equal(ctx.suggestionComparisons, DEFAULT_MAX_ERRORS * TASKS);
    assert.equal(shown[0]!.message, 'unknown task `tsak_0`');
    assert.match(shown[0]!.help!, /^did you mean one of `task_0`, /);
    assert.match(shown[49]!.help!, /^did you mean one of `task_49`, /);
  });

  it('with every error shown, compares no more than the budget, and the errors past it have no suggestion', () => {
    const ctx = new DiagnosticsContext(Infinity);
    const shown = elaborated(source, ctx);
    assert.equal(shown.length, TASKS);
    assert.equal(ctx.suggestionComparisons, SUGGESTION_BUDGET);
    const suggested = SUGGESTION_BUDGET / TASKS;
    assert.match(shown[suggested - 1]!.help!, /^did you mean/);
    assert.deepEqual(shown.slice(suggested).map((d) => d.help), Array(TASKS - suggested).fill(null));
  });

  it('a rule reporting unknown task keys defers its suggestions the same way', () => {
    const keys = Array.from({ length: TASKS }, (_, i) => `tsak_${i}: 0.5`).join(', ');
    const program = compileSource(`${source.slice(0, source.lastIndexOf('\nshare'))}\ntrain { task_lr: { ${keys} } }`, { options: { only: [] } }).checked!;
    const ctx = new DiagnosticsContext();
    taskKeys.run(program, ctx, {});
    const shown = ctx.diagnostics;
    assert.equal(shown.length, DEFAULT_MAX_ERRORS + 1);
    assert.equal(ctx.suggestionComparisons, DEFAULT_MAX_ERRORS * TASKS);
    assert.match(shown[0]!.help!, /^did you mean one of `task_0`, /);
  });
});

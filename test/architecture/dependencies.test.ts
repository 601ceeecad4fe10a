/**
 * The layering, checked on the TypeScript sources (type-only and dynamic imports included) with dependency-cruiser:
 * the compiler side (compiler/, grammar/, stdlib/) and the runtime meet only in job/, the contract; cli/ alone
 * drives both; the language server (lsp/) stays on the compiler's side; serving (runtime/serving/) reaches neither the
 * compiler nor the training code, and the model server (serve/) built on it neither; no module of ours imports itself
 * back through others. Tests may import anything.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cruise, type ICruiseResult, type IForbiddenRuleType, type IViolation } from 'dependency-cruiser';

const rules: IForbiddenRuleType[] = [
  { name: 'runtime-apart-from-compiler', severity: 'error', from: { path: '^runtime/' }, to: { path: '^(compiler|grammar|stdlib)/' } },
  { name: 'compiler-apart-from-runtime', severity: 'error', from: { path: '^compiler/' }, to: { path: '^runtime/' } },
  { name: 'job-imports-neither-side', severity: 'error', from: { path: '^job/' }, to: { path: '^(compiler|runtime|grammar|stdlib|cli)/' } },
  // Small helpers both sides use (edit distance, code-unit order): they import from neither.
  { name: 'shared-imports-neither-side', severity: 'error', from: { path: '^shared/' }, to: { path: '^(compiler|runtime|grammar|stdlib|cli|job)/' } },
  // The language server is the compiler's, in an editor: it never loads TensorFlow.js.
  { name: 'lsp-apart-from-runtime', severity: 'error', from: { path: '^lsp/' }, to: { path: '^runtime/' } },
  // The model server sits on the runtime's model loader: it never compiles or trains, and nothing below it serves.
  { name: 'serve-without-training', severity: 'error', from: { path: '^serve/' }, to: { path: '^(compiler|grammar|stdlib|lsp)/|^runtime/(train|export|report)/|^runtime/(train|run)\\.ts$' } },
  { name: 'runtime-below-serve', severity: 'error', from: { path: '^(runtime|job|shared)/' }, to: { path: '^serve/' } },
  { name: 'stdlib-below-compiler', severity: 'error', from: { path: '^stdlib/' }, to: { path: '^(compiler|runtime)/' } },
  // Through cli/ anything could reach both sides: it sits on top.
  { name: 'only-tests-import-cli', severity: 'error', from: { pathNot: '^(cli|test)/' }, to: { path: '^cli/' } },
  // A server loads a model with neither the compiler nor the training code (nor what exports a package).
  { name: 'serving-without-training', severity: 'error', from: { path: '^runtime/serving/' }, to: { path: '^(compiler|grammar|stdlib)/|^runtime/(train|export|report)/|^runtime/(train|run)\\.ts$', reachable: true } },
  { name: 'no-cycle', severity: 'error', from: {}, to: { circular: true } },
  // A relative import the cruiser cannot follow would hide its edges from every rule above.
  { name: 'relative-imports-resolve', severity: 'error', from: {}, to: { couldNotResolve: true, path: '^\\.' } },
];

/**
 * Edges that break a rule today and are being fixed elsewhere, as `rule: from → to`. stdlib/catalog.ts takes
 * `DeclarationKind` from the compiler's AST; it is moving into the stdlib on another branch — remove this then.
 */
const knownViolations = new Set<string>([]);

const ourSources = ['grammar', 'shared', 'job', 'compiler', 'lsp', 'cli', 'runtime', 'serve', 'stdlib', 'test', 'bench'];
const violationsFixture = 'test/architecture/violations';

/** Every broken rule once, as `rule: from → to`, or `no-cycle: a → b → a` starting from the cycle's first module in sort order. */
async function violations(roots: string[], options: { baseDir?: string; exclude?: string } = {}): Promise<string[]> {
  const { output } = await cruise(roots, {
    ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    exclude: { path: `^(dist|node_modules)/${options.exclude ? `|${options.exclude}` : ''}` },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    validate: true,
    ruleSet: { forbidden: rules },
  });
  const found = new Set((output as ICruiseResult).summary.violations.map(describeViolation));
  return [...found].sort();
}

function describeViolation(v: IViolation): string {
  if (!v.cycle) return `${v.rule.name}: ${v.from} → ${v.to}`;
  const modules = [v.from, ...v.cycle.map((step) => step.name)].slice(0, -1);
  const first = modules.indexOf([...modules].sort()[0]!);
  const rotated = [...modules.slice(first), ...modules.slice(0, first)];
  return `${v.rule.name}: ${[...rotated, rotated[0]].join(' → ')}`;
}

describe('dependencies between the parts of the project', () => {
  it('follow the layering and form no cycle', async () => {
    const found = await violations(ourSources, { exclude: `^${violationsFixture}/` });
    const unexpected = found.filter((v) => !knownViolations.has(v));
    assert.equal(unexpected.length, 0, `imports that break the layering:\n  ${unexpected.join('\n  ')}`);
    const stale = [...knownViolations].filter((v) => !found.includes(v));
    assert.equal(stale.length, 0, `known violations that no longer occur (remove them from the test):\n  ${stale.join('\n  ')}`);
  });

  it('are caught by every rule, through static, type-only and dynamic imports (a miniature repository)', async () => {
    assert.deepEqual(await violations(['.'], { baseDir: violationsFixture }), [
      'compiler-apart-from-runtime: compiler/compile.ts → runtime/train.ts',
      'job-imports-neither-side: job/job.ts → grammar/tokens.ts',
      'lsp-apart-from-runtime: lsp/server.ts → runtime/train.ts',
      'no-cycle: compiler/ir/graph.ts → compiler/ir/passes.ts → compiler/ir/graph.ts',
      'only-tests-import-cli: grammar/messages.ts → cli/main.ts',
      'relative-imports-resolve: runtime/metrics.ts → ./auc.js',
      'runtime-apart-from-compiler: runtime/train.ts → compiler/ast.ts',
      'runtime-below-serve: runtime/health.ts → serve/server.ts',
      'serve-without-training: serve/server.ts → compiler/compile.ts',
      'serving-without-training: runtime/serving/load.ts → compiler/ast.ts',
      'serving-without-training: runtime/serving/load.ts → runtime/train.ts',
      'stdlib-below-compiler: stdlib/catalog.ts → compiler/ast.ts',
    ]);
  });
});

/** Rule `runs-today`: a call of a constructor whose stdlib entry says `runs: false` is an error (a warning with `allowUnrunnable`). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, compileSource, expectDiagnostics, pos } from '../harness.js';
import { constructors } from '../../../stdlib/index.js';

const rule = { options: { only: ['runs-today'] } };
// Learned embeddings of a categorical column are what this version does not run.
const embedded = `${ROWS}
features colors { dataset: rows, transforms: [standardize(age), embedding(color, dim: 4)] }
features more { dataset: rows, transforms: [embedding(part, dim: 2)] }
task a { features: colors, target: label == 1, head: binary }
task b { features: more, target: age, head: regression }`;

describe('rule runs-today', () => {
  it('reports each call once, at the call, with the reason from the stdlib', () => {
    const c = expectDiagnostics(embedded, [
      { code: 'MTL0501', ...pos(embedded, 'embedding(color'), message: '`embedding` does not run in this version of mtl (the compiler understands it; the runtime cannot feed learned embeddings to a model yet)' },
      { code: 'MTL0501', ...pos(embedded, 'embedding(part'), message: '`embedding` does not run in this version of mtl (the compiler understands it; the runtime cannot feed learned embeddings to a model yet)' },
    ], rule);
    const first = c.diagnostics[0]!;
    assert.equal(first.primary.span.end - first.primary.span.start, 'embedding(color, dim: 4)'.length);
    assert.equal(first.help, 'the transforms this version runs: `standardize`, `normalize`, `raw`, `onehot`, `tokens`, `image`');
  });

  it('says nothing of the gradient methods: every weighting and aggregation runs', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
train { weighting: gradnorm(), aggregation: pcgrad() }`, [], rule);
  });

  it('with allowUnrunnable, warns instead and compiles to a job', () => {
    const c = compileSource(embedded, { options: { allowUnrunnable: true } });
    assert.deepEqual([...new Set(c.diagnostics.map((d) => `${d.severity} ${d.code}`))], ['warning MTL0501']);
    assert.ok(c.job);
    assert.deepEqual(c.job.features.map((f) => f.transform.kind), ['standardize', 'embedding', 'embedding']);
  });

  it('says nothing of a program that runs', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age), onehot(color)] }
task a { features: f, target: age, head: regression, backbone: sequential(mlp(units: [4]), identity()) }`, [], rule);
  });

  it('has a reason for every constructor that does not run', () => {
    const notRun = constructors.filter((c) => !c.runs);
    assert.ok(notRun.length > 0, 'something does not run: else this rule has nothing to check');
    for (const c of notRun) if (!c.runs) assert.match(c.notRun, /^the runtime /, `${c.category} ${c.name}`);
  });
});

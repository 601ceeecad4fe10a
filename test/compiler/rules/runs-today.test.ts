/** Rule `runs-today`: a call of a constructor whose stdlib entry says `runs: false` is an error (a warning with `allowUnrunnable`). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, compileSource, expectDiagnostics, pos, single } from '../harness.js';
import { constructors } from '../../../stdlib/index.js';

const rule = { options: { only: ['runs-today'] } };
const sequences = `${ROWS}
features text { dataset: rows, transforms: [tokens(words)] }
backbone encoder = transformer_encoder(dim: 8, heads: 2)
task spans { features: text, target: heads, head: tagging, backbone: encoder }
task other { features: text, target: heads, head: tagging, backbone: encoder }`;

describe('rule runs-today', () => {
  it('reports each call once, at the call, with the reason from the stdlib', () => {
    const c = expectDiagnostics(sequences, [
      { code: 'MTL0501', ...pos(sequences, 'transformer_encoder('), message: '`transformer_encoder` does not run in this version of mtl (the compiler understands it; the runtime has no transformer layer yet)' },
    ], rule);
    const encoder = c.diagnostics.find((d) => d.message.startsWith('`transformer_encoder`'))!;
    assert.equal(encoder.primary.span.end - encoder.primary.span.start, 'transformer_encoder(dim: 8, heads: 2)'.length);
    assert.equal(encoder.help, 'the backbones this version runs: `mlp`, `cnn`, `lstm`, `pool`, `sequential`, `point`, `identity`');
  });

  it('says nothing of the gradient methods: every weighting and aggregation runs', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
train { weighting: gradnorm(), aggregation: pcgrad() }`, [], rule);
  });

  it('with allowUnrunnable, warns instead and compiles to a job', () => {
    const c = compileSource(sequences, { options: { allowUnrunnable: true } });
    assert.deepEqual([...new Set(c.diagnostics.map((d) => `${d.severity} ${d.code}`))], ['warning MTL0501']);
    assert.ok(c.job);
    assert.deepEqual(c.job.tasks.map((t) => t.head.kind), ['tagging', 'tagging']);
  });

  it('says nothing of a program that runs', () => {
    expectDiagnostics(`${ROWS}
features f { dataset: rows, transforms: [standardize(age), onehot(color)] }
task a { features: f, target: age, head: regression, backbone: sequential(mlp(units: [4]), identity()) }`, [], rule);
  });

  it('has a reason for every constructor that does not run', () => {
    for (const c of constructors) if (!c.runs) assert.match(c.notRun, /^the runtime /, `${c.category} ${c.name}`);
    const single_ = single(compileSource(`${ROWS}
features f { dataset: rows, transforms: [embedding(color)] }
task a { features: f, target: age, head: regression }`, rule));
    assert.equal(single_.severity, 'error');
  });
});

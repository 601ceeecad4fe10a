/**
 * The UD examples give each token its spelling: their `tokens` feature carries the last 1 to 4 characters and the
 * shape of each token ([48, 6] ids per sentence), and the embedding before each encoder sums the three tables.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileProgram } from '../../compiler/compile.js';
import type { LayerPlan } from '../../job/job.js';

for (const [file, dim] of [['examples/ud/ud.mtl', 100], ['examples/ud/ud-transformer.mtl', 128]] as const) {
  describe(file, () => {
    it('reads each token\'s word, 4 suffixes and shape, embedded into one vector', () => {
      const { job, diagnostics } = compileProgram({ file });
      assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
      const [feature] = job!.features;
      assert.deepEqual(feature!.transform, { kind: 'tokens', maxLength: 48, maxVocab: 20000, minCount: 2, lowercase: true, suffixes: 4, shape: true });
      assert.deepEqual([feature!.shape, job!.inputs[0]!.shape], [[48, 6], [48, 6]]);
      const trunk = job!.modules.find((m) => m.layers[0]?.kind === 'embedding')!;
      const embed = trunk.layers[0] as Extract<LayerPlan, { kind: 'embedding' }>;
      assert.deepEqual(embed.subwords, { suffixLengths: 4, suffixVocab: { suffixes: feature!.id }, shape: true });
      assert.deepEqual([embed.vocab, embed.dim, trunk.shapes[0]], [{ vocab: feature!.id }, dim, [48, dim]]);
    });
  });
}

/**
 * Tokens with suffix and shape ids, end to end on the tiny fixture table (cpu backend): `mtl run` trains a transformer
 * tagger and a BiLSTM classifier over them and saves the suffix vocabulary in features.json, and `mtl eval`, which
 * encodes with the saved vocabularies, scores the selected weights on the validation split exactly as the run did.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { mtl, repoRoot } from './cli.js';

const program = `dataset rows {
  files: ${JSON.stringify(path.join(repoRoot, 'test/fixtures/data/tiny.arrow'))}
  columns: { label: int, words: list(string), tags: list(string) }
  split: ratio(train: 0.5, valid: 0.5, test: 0)
}
features text { dataset: rows, transforms: [tokens(words, max_length: 8, lowercase: true, suffixes: 2, shape: true)] }
task tagger { features: text, target: tags, head: tagging, backbone: transformer_encoder(layers: 1, dim: 8, heads: 2, ff: 8, word_dropout: 0.2) }
task sentence { features: text, target: label == 1, head: binary, backbone: lstm(units: 4, embed_dim: 6), tower: pool(op: max) }
train { epochs: 3, batch_size: 2 }
`;

describe('mtl run and mtl eval: tokens with suffixes and shapes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-token-spelling-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains, saves the suffix vocabulary, and evaluates the saved run as it was selected', () => {
    const file = path.join(dir, 'spelling.mtl');
    fs.writeFileSync(file, program);
    const out = path.join(dir, 'run');
    const run = mtl(['run', file, '--out', out, '--backend', 'cpu', '--no-progress']);
    assert.equal(run.status, 0, run.stderr);

    const fitted = JSON.parse(fs.readFileSync(path.join(out, 'features.json'), 'utf8')).features['rows.words.tokens'];
    assert.deepEqual(fitted.suffixVocab.slice(0, 2), ['<pad>', '<unk>']);
    // Suffixes of one or two characters, lowercased, each once.
    const learned: string[] = fitted.suffixVocab.slice(2);
    assert.ok(learned.length > 0 && learned.every((s) => [1, 2].includes([...s].length) && s === s.toLowerCase()), learned.join(' '));
    assert.equal(new Set(learned).size, learned.length);

    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    const evaluated = mtl(['eval', out, '--split', 'valid', '--backend', 'cpu']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const loss = (task: string) => Number(new RegExp(`^valid ${task}: loss=([0-9.]+)`, 'm').exec(evaluated.stdout)?.[1]);
    for (const task of ['tagger', 'sentence']) {
      assert.ok(Math.abs(loss(task) - summary.valid[task].loss) < 1e-3 * Math.max(1, summary.valid[task].loss), `${task}: ${evaluated.stdout}`);
    }
  });
});

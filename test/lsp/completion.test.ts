/**
 * Completion read from the tokens before the cursor (`|` in each case), on text that does not parse: what each
 * place offers, and what it must not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completions, type Names } from '../../lsp/completion.js';
import type { RefKind } from '../../stdlib/types.js';

const declared: Record<RefKind, string[]> = {
  dataset: ['rows'], features: ['f', 'lib.g'], backbone: ['trunk', 'lib.tower'], task: ['a', 'b', 'lib.c'], share: [],
};
const names: Names = {
  declared: (kind) => declared[kind],
  columns: (kind, name) => (kind === 'task' && name === 'a' ? [{ name: 'age', type: 'float' }, { name: 'label', type: 'string' }] : [{ name: 'other', type: 'int' }]),
};

function labels(textWithCursor: string): string[] {
  const offset = textWithCursor.indexOf('|');
  return completions(textWithCursor.replace('|', ''), offset, names).map((item) => item.label);
}

describe('completion', () => {
  it('offers the declaration keywords between declarations', () => {
    assert.deepEqual(labels('backbone trunk = mlp(units: [4])\n|'), ['dataset', 'features', 'backbone', 'task', 'share', 'train', 'import']);
    assert.deepEqual(labels('task |'), []);
  });

  it('offers a block\'s fields not yet written, at the start of a line or after `{`', () => {
    const fields = labels('task a {\n  features: f\n  |\n}');
    assert.deepEqual(fields, ['target', 'head', 'loss', 'metrics', 'weight', 'backbone', 'tower', 'depth', 'reads', 'product']);
    assert.deepEqual(labels('train {|'), labels('train {\n  |'));
    // The block before was left unclosed: the new declaration starts afresh.
    assert.deepEqual(labels('task a {\n  head: binary\n\ntask b {\n  features: f\n  |'), fields);
    assert.ok(labels('train {|').includes('optimizer'));
  });

  it('offers the constructors of the category a field takes, and declared names where it takes a reference', () => {
    const heads = labels('task a { features: f, head: |');
    assert.ok(heads.includes('binary') && heads.includes('tagging'), heads.join());
    assert.ok(!heads.includes('mlp') && !heads.includes('adam'), heads.join());
    const backbone = labels('task a { features: f, backbone: m|');
    assert.ok(backbone.includes('trunk') && backbone.includes('lib.tower') && backbone.includes('mlp'), backbone.join());
    assert.deepEqual(labels('task a { features: |'), ['f', 'lib.g']);
    const backbones = labels('backbone x = |');
    assert.deepEqual(backbones.slice(0, 2), ['trunk', 'lib.tower']);
    assert.ok(backbones.includes('mlp') && !backbones.includes('binary') && !backbones.includes('hard'), backbones.join());
  });

  it('offers the named arguments of the enclosing call not yet given, and the names of a qualifier', () => {
    const args = labels('train { optimizer: adam(lr: 0.1, |');
    assert.ok(args.includes('beta1') && args.includes('weight_decay') && !args.includes('lr'), args.join());
    assert.deepEqual(labels('share s = hard(backbone: trunk, tasks: [a, |'), ['b', 'lib.c']);
    assert.deepEqual(labels('share s = hard(backbone: trunk, tasks: [a, lib.|'), ['c']);
  });

  it('offers the columns of the task\'s dataset in its target', () => {
    assert.deepEqual(labels('task a {\n  features: f\n  target: |'), ['age', 'label']);
    assert.deepEqual(labels('task a {\n  features: f\n  target: age > 3 and |'), ['age', 'label']);
  });

  it('offers nothing inside a string or a comment', () => {
    assert.deepEqual(labels('task a { head: "bin|'), []);
    assert.deepEqual(labels('task a {\n  // head: |'), []);
    assert.deepEqual(labels('task a {\n  /* head: |'), []);
    assert.deepEqual(labels('task a {\n  # head: |'), []);
    assert.ok(labels('task a { target: "x" == "y", head: |').includes('binary'));
  });
});

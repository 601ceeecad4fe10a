/** `layerKinds` (stdlib/backbones.ts): shapes worked out by hand, and a flatten no `Width` can say refused as a compiler bug. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layerShape, kindAfterLayer } from '../../stdlib/index.js';
import { flatWidth } from '../../stdlib/backbones.js';

describe('layer kinds', () => {
  it('derives shapes and value kinds by hand-checked rules', () => {
    assert.deepEqual(layerShape({ kind: 'conv2d', filters: 8, kernel: 3, stride: 1, activation: 'relu' }, [28, 28, 1]), [28, 28, 8]);
    assert.deepEqual(layerShape({ kind: 'pool', op: 'max', size: 2 }, [28, 28, 8]), [14, 14, 8]);
    assert.deepEqual(layerShape({ kind: 'flatten' }, [14, 14, 8]), [1568]);
    assert.deepEqual(layerShape({ kind: 'lstm', units: 5, bidirectional: true }, [64, 16]), [64, 10]);
    assert.deepEqual(layerShape({ kind: 'embedding', dim: 16, vocab: { vocab: 'f' }, wordDropout: 0 }, [64]), [64, 16]);
    assert.equal(kindAfterLayer({ kind: 'pool', op: 'mean', size: 0 }, 'sequence'), 'vector');
    assert.equal(kindAfterLayer({ kind: 'flatten' }, 'image'), 'vector');
  });

  it('flattens a symbolic width only when the rest multiply to 1, and otherwise throws an internal error', () => {
    assert.equal(flatWidth([]), 1);
    assert.deepEqual(flatWidth([1, { vocab: 'f' }]), { vocab: 'f' });
    assert.throws(() => flatWidth([3, { vocab: 'f' }]), /internal error: cannot flatten shape/);
    assert.throws(() => flatWidth([{ vocab: 'f' }, { classes: 't' }]), /internal error/);
  });
});

/** The drift score and the feature cache on their own, against values worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ColumnDrift, populationStabilityIndex } from '../../serve/drift.js';
import { FeatureCache, featureKey } from '../../serve/feature-cache.js';

describe('drift', () => {
  it('is the population stability index: Σ (p − q) ln(p / q)', () => {
    // p = (1/2, 1/2), q = (1/4, 3/4): 1/4 ln 2 + 1/4 ln 1.5 = 1/4 ln 3.
    assert.equal(populationStabilityIndex([50, 50], [25, 75]), 0.25 * Math.log(2) + -0.25 * Math.log(0.5 / 0.75));
    assert.ok(Math.abs(populationStabilityIndex([50, 50], [25, 75]) - Math.log(3) / 4) < 1e-15);
    assert.equal(populationStabilityIndex([3, 6], [1, 2]), 0);
    // An empty bin counts as a share of 1e-4: finite.
    assert.equal(populationStabilityIndex([10, 0], [5, 5]), (1 - 0.5) * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5));
  });

  it('bins served values as the export did and forgets those older than its window', () => {
    const drift = new ColumnDrift({ kind: 'numeric', rows: 4, mean: 0.5, std: 0.3, min: 0, max: 1, quantiles: {}, histogram: { edges: [0, 0.5, 1], counts: [2, 2] } }, 4);
    for (const v of [0.1, 0.2, 0.7, 1]) drift.add(v);
    assert.equal(drift.score(), 0);
    // Four more in the low bin push the first four out: all low against half and half.
    for (const v of [0.1, 0.1, 0.1, 0.1]) drift.add(v);
    assert.equal(drift.served, 4);
    assert.equal(drift.score(), populationStabilityIndex([4, 0], [2, 2]));
    const classes = new ColumnDrift({ kind: 'classes', rows: 2, counts: { a: 1, b: 1 } }, 10);
    for (const v of ['a', 'b', 'zzz']) classes.add(v);
    assert.equal(classes.score(), populationStabilityIndex([1, 1, 1], [1, 1, 0]));
  });
});

describe('feature cache', () => {
  it('keys a row by its columns in any order, numbers normalised, per version and input', () => {
    const key = featureKey('v1', 'in', ['b', 'a'], { a: 1, b: 'x', extra: 3 });
    assert.equal(featureKey('v1', 'in', ['a', 'b'], { b: 'x', a: 1.0 }), key);
    assert.equal(featureKey('v1', 'in', ['a', 'b'], { b: 'x', a: 1, other: 'ignored' }), key);
    assert.notEqual(featureKey('v2', 'in', ['a', 'b'], { a: 1, b: 'x' }), key);
    assert.notEqual(featureKey('v1', 'in', ['a', 'b'], { a: 2, b: 'x' }), key);
    assert.equal(featureKey('v1', 'in', ['a'], { a: -0 }), featureKey('v1', 'in', ['a'], { a: 0 }));
  });

  it('holds at most its bytes, dropping the least recently used, and forgets entries older than its TTL', () => {
    let now = 0;
    const entry = 4 * 4 + 2 * 2 + 160; // 4 floats, a 2-character key, the overhead
    const cache = new FeatureCache({ maxBytes: 3 * entry, ttlMs: 100, now: () => now });
    for (const k of ['k1', 'k2', 'k3']) cache.set(k, new Float32Array(4));
    assert.deepEqual([cache.size, cache.bytes], [3, 3 * entry]);
    assert.ok(cache.get('k1'));
    cache.set('k4', new Float32Array(4));
    assert.deepEqual([cache.size, cache.bytes], [3, 3 * entry]);
    assert.equal(cache.get('k2'), undefined, 'k2 was the least recently used');
    assert.ok(cache.get('k1') && cache.get('k3') && cache.get('k4'));
    now = 101;
    assert.equal(cache.get('k1'), undefined);
    assert.deepEqual([cache.size, cache.bytes], [2, 2 * entry]);
    assert.deepEqual([cache.hits, cache.misses], [4, 2]);
    cache.set('huge', new Float32Array(1000));
    assert.equal(cache.get('huge'), undefined, 'an entry over the bound is not kept');
    cache.dropVersion('k3');
    assert.equal(cache.size, 2, 'only keys of the version are dropped (k3 has no version prefix)');
  });
});

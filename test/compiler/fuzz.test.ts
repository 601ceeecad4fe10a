/** A 5,000-input seeded slice of `npm run fuzz` (test/fuzz/fuzz.ts): no throw, hang, stray span, or bad job. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaign } from '../fuzz/fuzz.js';
import { repoRoot } from './harness.js';

describe('the fuzz slice', () => {
  it('5,000 generated and mutated programs: nothing throws, hangs, or compiles to a job that is not finite and valid', () => {
    const result = campaign(repoRoot, 1, 5_000);
    assert.deepEqual(result.findings.map((f) => `#${f.index} ${f.kind}: ${f.detail.split('\n')[0]}`), []);
  });
});

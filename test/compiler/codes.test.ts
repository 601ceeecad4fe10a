/**
 * Diagnostic codes stay stable and findable: each is unique, new ones go at the end of their section, and the table
 * of docs/language.md lists exactly the codes there are, warnings (09xx) as warnings, costs (06xx) as infos.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Codes } from '../../compiler/diagnostics/codes.js';

const codes = Object.values(Codes);

describe('diagnostic codes', () => {
  it('are unique, well formed and in increasing order (new codes at the end of their section)', () => {
    assert.deepEqual(codes.filter((c) => !/^MTL\d{4}$/.test(c)), []);
    assert.equal(new Set(codes).size, codes.length);
    assert.deepEqual(codes, [...codes].sort());
  });

  it('are each documented once in docs/language.md, with their severity', () => {
    const rows = fs.readFileSync('docs/language.md', 'utf8').split('\n').flatMap((line) => {
      const row = /^\| (MTL\d{4}) \| (error|warning|info) \| .+ \|$/.exec(line);
      return row ? [[row[1]!, row[2]!]] : [];
    });
    assert.deepEqual(rows, codes.map((c) => [c, c.startsWith('MTL09') ? 'warning' : c.startsWith('MTL06') ? 'info' : 'error']));
  });
});

/** The fixture runner itself: annotations parse as documented, and a fixture fails on anything missing or extra. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { matchExpectations, parseAnnotations } from './annotations.js';
import { runFixture } from './fixture-runner.js';
import { bless, stripAnnotations } from './bless.js';
import { repoRoot } from './harness.js';

describe('annotations', () => {
  it('read this line, lines above, the same line again, and directives', () => {
    const text = [
      'task t { }   //~ error MTL0101 unknown `x`',
      '//~| warning MTL0901',
      'backbone b = mlp()',
      '',
      '//~^^ error MTL0105 needs an argument `units`',
      '//@ max-errors: 3',
    ].join('\n');
    const { expectations, options, problems } = parseAnnotations('f.mtl', text);
    assert.deepEqual(problems, []);
    assert.deepEqual(options, { maxErrors: 3 });
    assert.deepEqual(expectations.map((e) => [e.line, e.severity, e.code, e.text, e.writtenAt]), [
      [1, 'error', 'MTL0101', 'unknown `x`', 1],
      [1, 'warning', 'MTL0901', '', 2],
      [3, 'error', 'MTL0105', 'needs an argument `units`', 5],
    ]);
  });

  it('report malformed annotations and unknown directives instead of ignoring them', () => {
    const { expectations, problems } = parseAnnotations('f.mtl', ['x //~ eror MTL0101 typo', '//~ error MTL101 short code', '//~| error MTL0101 nothing before', '//@ compile-flags: -O'].join('\n'));
    assert.deepEqual(expectations, []);
    assert.deepEqual(problems, [
      'f.mtl:1: malformed annotation `//~ eror MTL0101 typo` (expected `//~ error MTL0101 text`)',
      'f.mtl:2: malformed annotation `//~ error MTL101 short code` (expected `//~ error MTL0101 text`)',
      'f.mtl:3: `//~|` with no annotation before it',
      'f.mtl:4: unknown directive `//@ compile-flags: -O` (known: `//@ max-errors: N`, `//@ allow-unrunnable`, `//@ root: DIR`)',
    ]);
  });

  it('match by file, line, severity and code with the text contained; counts matter; precise texts first', () => {
    const e = (line: number, text: string) => ({ file: 'f', line, severity: 'error' as const, code: 'MTL0101', text, writtenAt: line });
    const d = (line: number, message: string) => ({ file: 'f', line, severity: 'error', code: 'MTL0101', message });
    assert.deepEqual(matchExpectations([e(1, ''), e(1, 'unknown task `b`')], [d(1, 'unknown task `a`'), d(1, 'unknown task `b`')]), { missing: [], unexpected: [] });
    const twice = matchExpectations([e(1, 'x'), e(1, 'x')], [d(1, 'x')]);
    assert.deepEqual([twice.missing.length, twice.unexpected.length], [1, 0]);
    const extra = matchExpectations([e(1, 'x')], [d(1, 'x'), d(1, 'x'), d(2, 'x')]);
    assert.deepEqual([extra.missing.length, extra.unexpected.map((u) => u.line)], [0, [1, 2]]);
    assert.equal(matchExpectations([{ ...e(1, 'x'), severity: 'warning' }], [d(1, 'x')]).missing.length, 1);
  });
});

describe('fixture runner', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-fixture-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tiny = JSON.stringify(path.join(repoRoot, 'test', 'fixtures', 'data', 'tiny.arrow'));
  const fixture = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const program = (target: string, annotation = '') => [
    `dataset rows { files: ${tiny}, columns: { age: float, label: int } }`,
    'features f { dataset: rows, transforms: [standardize(age)] }',
    `task t { features: f, target: ${target}, head: regression }${annotation}`,
  ].join('\n');

  it('passes a fixture whose annotations are exactly what is reported', () => {
    assert.deepEqual(runFixture(fixture('right.mtl', program('agee', '   //~ error MTL0201 has no column `agee`'))).problems, []);
  });

  it('fails on an expected diagnostic that is not reported', () => {
    const file = fixture('missing.mtl', program('age', '   //~ error MTL0201 has no column'));
    assert.deepEqual(runFixture(file).problems, [`expected but not reported: ${file}:3: error MTL0201 "has no column" (annotation on line 3)`]);
  });

  it('fails on a diagnostic that is not expected, showing its frame', () => {
    const problems = runFixture(fixture('extra.mtl', program('agee'))).problems;
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^reported but not expected:\n {2}.*extra\.mtl:3: error MTL0201 dataset `rows` has no column `agee`\nerror\[MTL0201\]/);
  });

  it('fails on a message that does not contain the text, or on the wrong line', () => {
    assert.equal(runFixture(fixture('text.mtl', program('agee', '   //~ error MTL0201 has no column `age`.'))).problems.length, 2);
    assert.equal(runFixture(fixture('line.mtl', `${program('agee')}\n//~^^ error MTL0201`)).problems.length, 2);
  });

  it('validates the job of a fixture with no error expected', () => {
    const { problems, compilation } = runFixture(fixture('clean.mtl', program('age')));
    assert.deepEqual(problems, []);
    assert.equal(compilation.job?.tasks.length, 1);
  });
});

describe('bless', () => {
  it('rewrites the annotations from what the compiler reports, keeping the program', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-bless-'));
    try {
      const tiny = JSON.stringify(path.join(repoRoot, 'test', 'fixtures', 'data', 'tiny.arrow'));
      const text = [
        `dataset rows { files: ${tiny}, columns: { age: float } }   //~ error MTL0999 stale`,
        'features f { dataset: rows, transforms: [standardize(age, x)] }',
        '//~^ error MTL0001 also stale',
        'task t { features: f, target: y + z, head: regression }',
      ].join('\n');
      const file = path.join(dir, 'f.mtl');
      fs.writeFileSync(file, text);
      assert.equal(stripAnnotations(text).split('\n').length, 3);
      const blessed = bless(file);
      assert.deepEqual(blessed.split('\n').slice(1), [
        'features f { dataset: rows, transforms: [standardize(age, x)] }   //~ error MTL0201 dataset `rows` has no column `x`',
        'task t { features: f, target: y + z, head: regression }   //~ error MTL0201 dataset `rows` has no column `y`',
        '//~| error MTL0201 dataset `rows` has no column `z`',
      ]);
      fs.writeFileSync(file, blessed);
      assert.deepEqual(runFixture(file).problems, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `mtl fmt`: on every example and fixture that parses, formatting twice changes nothing more than once, keeps every
 * comment, and the program compiles to the same job (or the same diagnostics) as before; golden layouts for comments
 * in odd places, long lists and nested calls; a program with syntax errors is never formatted; `mtl fmt --check`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { compileProgram, format, parse, hasErrors, type Job } from '../../compiler/index.js';
import { repoRoot } from './harness.js';

function programsUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.mtl'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const programs = [...programsUnder('examples'), ...programsUnder('test/fixtures'), 'bench/toy/toy.mtl'];

/** What a compilation means: its job without the source's hash, or its diagnostics without their positions. */
function meaning(file: string, text: string): unknown {
  const c = compileProgram({ file, text });
  if (c.job) return { ...c.job, source: { ...c.job.source, sha256: '' } } satisfies Job;
  return c.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`);
}

function commentsOf(text: string): string[] {
  return [...text.matchAll(/\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\//g)].map((m) => m[0].trimEnd());
}

/** The golden layouts below, formatted. */
function fmt(text: string): string {
  const r = format(text, { file: 'golden.mtl' });
  assert.deepEqual(r.diagnostics, []);
  return r.value!;
}

describe('mtl fmt on every example and fixture', () => {
  let formatted = 0;
  after(() => assert.ok(formatted >= 150, `only ${formatted} programs parsed`));
  for (const file of programs) {
    const text = fs.readFileSync(file, 'utf8');
    if (hasErrors(parse({ file, text }).diagnostics)) continue;
    it(file, () => {
      const once = format(text, { file });
      assert.ok(once.value !== null);
      assert.equal(format(once.value, { file }).value, once.value, 'formatting again changes it');
      assert.deepEqual(commentsOf(once.value), commentsOf(text));
      assert.deepEqual(meaning(file, once.value), meaning(file, text));
      formatted++;
    });
  }

  it('leaves the examples as they are (they are in the canonical layout)', () => {
    for (const file of [...programsUnder('examples'), 'bench/toy/toy.mtl']) {
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(format(text, { file }).value, text, file);
    }
  });
});

describe('mtl fmt layout', () => {
  it('puts one field per line in a block, drops redundant parentheses and keeps one blank line', () => {
    const input = 'task t{features:f target:(a==1)and(b<2)   head:binary,\n\n\n\n  metrics:[auc]}\nbackbone b=mlp(units:[8])';
    assert.equal(fmt(input), 'task t {\n  features: f\n  target: a == 1 and b < 2\n  head: binary\n\n  metrics: [auc]\n}\nbackbone b = mlp(units: [8])\n');
  });

  it('keeps the parentheses the meaning needs', () => {
    assert.equal(fmt('task t { target: not (a or b) and (c + d) * -(e - f) }'), 'task t {\n  target: not (a or b) and (c + d) * -(e - f)\n}\n');
  });

  it('keeps comments where they were: before an item, after it on its line, at the end of a block, inside an expression', () => {
    const input = [
      '// about the program',
      '',
      'dataset d { # hash comment',
      '  files: "d.arrow"   // trailing',
      '  /* before columns */ columns: { a: float,  // after a',
      '    b: string }',
      '  // last in the block',
      '}',
      'task t { target: a == /* why */ 1 }  // after the task',
      '/* at the end */',
    ].join('\n');
    assert.equal(fmt(input), [
      '// about the program',
      '',
      'dataset d {',
      '  # hash comment',
      '  files: "d.arrow" // trailing',
      '  /* before columns */',
      '  columns: {',
      '    a: float, // after a',
      '    b: string,',
      '  }',
      '  // last in the block',
      '}',
      'task t {',
      '  target: a == /* why */ 1',
      '} // after the task',
      '/* at the end */',
      '',
    ].join('\n'));
  });

  it('packs long lists of plain values up to 110 columns, one item per line otherwise, and call arguments under the first', () => {
    const names = Array.from({ length: 24 }, (_, i) => `column_${i}`);
    const input = `features f { transforms: [standardize(${names.join(', ')}), onehot(x)], columns: [${names.join(', ')}] }`;
    assert.equal(fmt(input), [
      'features f {',
      '  transforms: [',
      '    standardize(column_0, column_1, column_2, column_3, column_4, column_5, column_6, column_7, column_8,',
      '                column_9, column_10, column_11, column_12, column_13, column_14, column_15, column_16,',
      '                column_17, column_18, column_19, column_20, column_21, column_22, column_23),',
      '    onehot(x),',
      '  ]',
      '  columns: [',
      '    column_0, column_1, column_2, column_3, column_4, column_5, column_6, column_7, column_8, column_9,',
      '    column_10, column_11, column_12, column_13, column_14, column_15, column_16, column_17, column_18,',
      '    column_19, column_20, column_21, column_22, column_23,',
      '  ]',
      '}',
      '',
    ].join('\n'));
    for (const line of fmt(input).split('\n')) assert.ok(line.length <= 110, line);
  });

  it('breaks nested calls whose arguments are not plain values one argument per line', () => {
    const input = 'share s = cross_stitch(backbone: column_backbone, tasks: [data.education_level, data.never_married], after: [0, 1])';
    assert.equal(fmt(input), 'share s = cross_stitch(\n  backbone: column_backbone,\n  tasks: [data.education_level, data.never_married],\n  after: [0, 1],\n)\n');
  });

  it('keeps strings and numbers as written', () => {
    assert.equal(fmt('import "a.mtl" as a\ntrain { lr: 1.50e-3, note: "tab\\there" }'), 'import "a.mtl" as a\ntrain {\n  lr: 1.50e-3\n  note: "tab\\there"\n}\n');
  });

  it('refuses a program with syntax errors, with its diagnostics', () => {
    const r = format('task t {\n  head binary\n}\n', { file: 'bad.mtl' });
    assert.equal(r.value, null);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.primary.span.start]), [['MTL0002', 16]]);
  });
});

describe('mtl fmt FILE… [--check]', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-fmt-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mtl = (args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli', 'main.js'), 'fmt', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const messy = 'backbone b=mlp(units:[8])\n';
  const tidy = 'backbone b = mlp(units: [8])\n';

  it('--check lists the files that would change and exits 1, changing nothing; exits 0 when all are formatted', () => {
    fs.writeFileSync(path.join(dir, 'messy.mtl'), messy);
    fs.writeFileSync(path.join(dir, 'tidy.mtl'), tidy);
    const r = mtl(['--check', 'tidy.mtl', 'messy.mtl']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [1, 'messy.mtl\n', '']);
    assert.equal(fs.readFileSync(path.join(dir, 'messy.mtl'), 'utf8'), messy);
    const clean = mtl(['--check', 'tidy.mtl']);
    assert.deepEqual([clean.status, clean.stdout, clean.stderr], [0, '', '']);
  });

  it('rewrites the files in place; a file with syntax errors gets code frames and is left alone, a missing one a line; exit 1', () => {
    fs.writeFileSync(path.join(dir, 'messy.mtl'), messy);
    fs.writeFileSync(path.join(dir, 'broken.mtl'), 'task t {\n  head binary\n}\n');
    const r = mtl(['messy.mtl', 'broken.mtl', 'missing.mtl']);
    assert.equal(r.status, 1);
    assert.equal(fs.readFileSync(path.join(dir, 'messy.mtl'), 'utf8'), tidy);
    assert.equal(fs.readFileSync(path.join(dir, 'broken.mtl'), 'utf8'), 'task t {\n  head binary\n}\n');
    assert.match(r.stderr, /^formatted messy\.mtl\nerror\[MTL0002\]: expected ':', found a name `binary`\n --> broken\.mtl:2:8\n/);
    assert.match(r.stderr, /\n1 error\nerror: cannot read missing\.mtl: no such file\n$/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['broken.mtl', 'messy.mtl', 'tidy.mtl']);
  });
});

/**
 * The public API (`parse`, `check`, `compile`): its results, and that none of them throws on any input. Garbage comes
 * from a seeded generator, so a failure reproduces: random bytes, token soup, truncated and mutated real programs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { check, compile, parse, render, Codes, type Diagnostic, type Host } from '../../compiler/index.js';
import { validateJob } from '../../job/schema.js';
import { parseCst } from '../../grammar/parser.js';
import { AstBuilder } from '../../compiler/syntax/build-ast.js';
import { DATA_FILE, ROWS, memoryHost } from './harness.js';
import { fixtureFiles } from './fixture-runner.js';
import { random } from '../fuzz/fuzz.js';

const codes = new Set<string>(Object.values(Codes));
const VOCABULARY = [
  'dataset', 'features', 'backbone', 'task', 'share', 'train', 'import', 'as', 'true', 'false', 'null', 'and', 'or', 'not', 'in',
  'rows', 'f', 'age', 'label', 'mlp', 'hard', 'binary', 'standardize', 'units', 'tasks', 'files', 'columns', 'target', 'head',
  '{', '}', '(', ')', '[', ']', ',', ':', '.', '=', '==', '<', '-', '+', '*', '/', '"data/rows.arrow"', '"x"', '0', '1.5', '-3',
  '//', '/*', '*/', '#', '\n', ' ', "'", '@', '\u00e9', '"unterminated',
];

function assertWellFormed(diagnostics: Diagnostic[], file: string, text: string, what: string): void {
  for (const d of diagnostics) {
    assert.ok(codes.has(d.code), `${what}: unknown code ${d.code}`);
    assert.ok(d.severity === 'error' || d.severity === 'warning', what);
    assert.equal(typeof d.message, 'string', what);
    assert.ok(d.message.length > 0 && !d.message.endsWith('.'), `${what}: message ${JSON.stringify(d.message)}`);
    for (const label of [d.primary, ...d.secondary]) {
      if (label.span.file !== file) continue;
      assert.ok(label.span.start >= 0 && label.span.start <= label.span.end && label.span.end <= text.length, `${what}: span ${JSON.stringify(label.span)} outside a text of ${text.length}`);
    }
  }
}

/** Runs all three entry points on one text; any exception fails with the input that caused it. */
function survive(text: string, what: string): void {
  const file = 'fuzz.mtl';
  const host: Host = memoryHost({ [DATA_FILE]: '', 'lib.mtl': `${ROWS}\n`, [file]: text });
  try {
    const parsed = parse({ file, text });
    // Only a text refused unparsed (binary, too large) has no tree.
    assert.equal(parsed.value?.type ?? parsed.diagnostics[0]?.code, parsed.value ? 'Program' : Codes.NotProgramText, what);
    assertWellFormed(parsed.diagnostics, file, text, what);
    const checked = check({ file, text, host });
    assert.ok(checked.value, what);
    assertWellFormed(checked.diagnostics, file, text, what);
    const compiled = compile({ file, text, host }, { verifyIr: true });
    assertWellFormed(compiled.diagnostics, file, text, what);
    const errors = compiled.diagnostics.some((d) => d.severity === 'error');
    assert.equal(compiled.value === null, errors, `${what}: a job exactly when there is no error`);
    if (compiled.value) assert.deepEqual(validateJob(compiled.value), [], what);
  } catch (error) {
    assert.fail(`${what} threw on ${JSON.stringify(text.slice(0, 300))}: ${(error as Error).stack}`);
  }
}

const programs = [
  ...['examples/census/census.mtl', 'examples/census/census-mmoe.mtl', 'examples/ud/ud.mtl'].map((f) => fs.readFileSync(f, 'utf8')),
  ...fixtureFiles().filter((f) => f.includes('/ok/')).map((f) => fs.readFileSync(f, 'utf8')),
];

describe('parse, check and compile never throw', () => {
  it('on random bytes', () => {
    const next = random(1);
    for (let i = 0; i < 150; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256)));
      survive(bytes.toString('latin1'), `random bytes #${i}`);
    }
  });

  it('on token soup', () => {
    const next = random(2);
    for (let i = 0; i < 300; i++) {
      const words = Array.from({ length: 1 + Math.floor(next() * 60) }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]!);
      survive(words.join(next() < 0.5 ? ' ' : ''), `token soup #${i}`);
    }
  });

  it('on every real program cut short', () => {
    const next = random(3);
    programs.forEach((program, p) => {
      for (let i = 0; i < 25; i++) survive(program.slice(0, Math.floor(next() * program.length)), `program ${p} truncated (#${i})`);
    });
  });

  it('on real programs with characters deleted, duplicated and swapped', () => {
    const next = random(4);
    programs.forEach((program, p) => {
      for (let i = 0; i < 25; i++) {
        let text = program;
        for (let edits = 1 + Math.floor(next() * 4); edits > 0; edits--) {
          const at = Math.floor(next() * text.length);
          const kind = next();
          if (kind < 0.4) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 5));
          else if (kind < 0.7) text = text.slice(0, at) + text.slice(at, at + 3) + text.slice(at);
          else text = text.slice(0, at) + VOCABULARY[Math.floor(next() * VOCABULARY.length)] + text.slice(at);
        }
        survive(text, `program ${p} mutated (#${i})`);
      }
    });
  });

  it('on imports of a file that imports itself, and deep nesting', () => {
    survive('import "fuzz.mtl"\n', 'self import');
    survive(`task t { target: ${'('.repeat(300)}1${')'.repeat(300)} }`, 'deep parentheses');
    survive(`task t { target: ${'not '.repeat(500)}true }`, 'many prefixes');
    survive(`${ROWS}\nfeatures f { dataset: rows, transforms: [standardize(age)] }\ntask t { features: f, target: ${Array.from({ length: 400 }, (_, i) => `age * ${i}`).join(' + ')}, head: regression }`, 'long expression');
  });
});

describe('the API', () => {
  const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }`;
  const host = memoryHost({ [DATA_FILE]: '', 'main.mtl': source });

  it('parse returns the AST and syntax diagnostics only, named after the file given', () => {
    const ok = parse({ file: 'main.mtl', text: source });
    assert.deepEqual([ok.value!.declarations.map((d) => `${d.kind} ${d.name?.text}`), ok.diagnostics, ok.ok], [['dataset rows', 'features f', 'task t'], [], true]);
    assert.equal(ok.value!.file, 'main.mtl');
    const broken = parse({ file: 'x.mtl', text: 'task t { head binary }' });
    assert.deepEqual(broken.diagnostics.map((d) => [d.code, d.primary.span.file, d.message]), [['MTL0002', 'x.mtl', "expected ':', found a name `binary`"]]);
    assert.equal(broken.ok, false);
  });

  it('parse, check and compile all read a path given as a string, or through a host', () => {
    const census = 'examples/census/census.mtl';
    for (const result of [parse(census), check(census), compile(census)]) {
      assert.deepEqual([result.ok, result.diagnostics, [...result.sources.keys()].includes(census)], [true, [], true]);
    }
    assert.deepEqual(parse({ file: 'main.mtl', host }).value!.declarations.length, 3);
    const missing = parse('no/such/file.mtl');
    assert.deepEqual([missing.value, missing.ok, missing.diagnostics.map((d) => [d.code, d.message])], [null, false, [[Codes.ImportNotFound, 'cannot read `no/such/file.mtl`']]]);
  });

  it('check says plainly whether there were errors, and render shows them over their own sources', () => {
    const text = 'task t { target: nope, head: binary }\n';
    const result = check({ file: 'bad.mtl', text, host });
    assert.equal(result.ok, false);
    const shown = render(result, { color: false });
    assert.ok(shown.includes('bad.mtl:1:'), shown);
    assert.ok(shown.includes(' | task t { target: nope, head: binary }'), shown);
    assert.match(shown, /\d+ errors?\n$/);
    assert.equal(check({ file: 'main.mtl', host }).ok, true);
  });

  it('puts an expression left unfinished at a line end at its operator, the next field\'s name as secondary', () => {
    const text = 'task t {\n  target: y ==\n  head: binary\n}\n';
    const [d, ...rest] = parse({ file: 'p.mtl', text }).diagnostics;
    assert.deepEqual(rest, []);
    assert.deepEqual([d!.message, d!.primary.span.start, d!.secondary.map((s) => [s.span.start, s.message]), d!.help], [
      'the expression ends with `==` and nothing after it', text.indexOf('=='),
      [[text.indexOf('head'), "so `head`, the next field's name, was read as it"]], 'finish the expression on this line (e.g. `== 1`), or remove the `==`',
    ]);
    // On one line, the plain message: nothing was read across a line break.
    assert.equal(parse({ file: 'p.mtl', text: 'task t { target: y == head: binary }' }).diagnostics[0]!.message, "expected '}', found `:`");
  });

  it('parses a valid program one declaration at a time into the same AST as parsing it whole', () => {
    // A BOM is dropped by `parse` before the grammar sees the text, so those programs are not the grammar's.
    for (const text of programs.filter((t) => !t.startsWith('\uFEFF'))) {
      const whole = parseCst(text);
      assert.deepEqual([whole.lexErrors, whole.parseErrors], [[], []]);
      assert.deepEqual(parse({ file: 'p.mtl', text }).value, new AstBuilder('p.mtl', text.length).program(whole.cst));
    }
  });

  it('check returns the checked program (never a job), compile the job', () => {
    const checked = check({ file: 'main.mtl', text: source, host });
    assert.deepEqual(checked.diagnostics, []);
    assert.deepEqual([...checked.value!.tasks.keys()], ['t']);
    const compiled = compile({ file: 'main.mtl', text: source, host });
    assert.deepEqual([compiled.value!.format, compiled.value!.tasks.map((t) => t.name)], ['mtl-job', ['t']]);
  });

  it('reads the program from the host when no text is given; a missing file is a diagnostic', () => {
    assert.equal(compile({ file: 'main.mtl', host }).value!.source.file, 'main.mtl');
    const missing = compile({ file: 'nowhere.mtl', host });
    assert.equal(missing.value, null);
    assert.deepEqual(missing.diagnostics.map((d) => [d.code, d.message]), [['MTL0003', 'cannot read `nowhere.mtl`']]);
  });

  it('accepts a path string and reads it from disk', () => {
    const result = check('test/fixtures/ok/minimal.mtl');
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual([...result.value!.tasks.keys()], ['positive']);
  });

  it('caps errors at maxErrors, then reports MTL0005 once at the first error left out', () => {
    const many = `${ROWS}\n${Array.from({ length: 8 }, (_, i) => `task t${i} { features: nope, target: age, head: regression }`).join('\n')}`;
    const result = check({ file: 'main.mtl', text: many, host }, { maxErrors: 3 });
    assert.deepEqual(result.diagnostics.map((d) => d.code), ['MTL0101', 'MTL0101', 'MTL0101', 'MTL0005']);
    assert.equal(result.diagnostics[3]!.message, 'too many errors: showing the first 3 of 8');
    assert.equal(result.diagnostics[3]!.primary.span.start, many.indexOf('nope', many.indexOf('task t3')));
    assert.equal(check({ file: 'main.mtl', text: many, host }).diagnostics.length, 8);
  });

  it('shows the first errors in the source under the cap, whichever rule found them', () => {
    // duplicate-names runs before known-columns, but the unknown column comes first in the text.
    const text = `${ROWS}
features f { dataset: rows, transforms: [standardize(nope)] }
task a { features: f, target: age, head: regression }
task a { features: f, target: hours, head: regression }`;
    const result = check({ file: 'main.mtl', text, host }, { maxErrors: 1 });
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.primary.span.start]), [
      ['MTL0201', text.indexOf('nope')],
      ['MTL0005', text.lastIndexOf('task a {') + 'task '.length],
    ]);
  });

  it('sorts diagnostics by file, position and code', () => {
    const text = `${ROWS}
features f { dataset: rows, transforms: [standardize(nope)] }
task b { features: f, target: zz, head: binary }
task a { features: g, target: age, head: regression }`;
    const result = check({ file: 'main.mtl', text, host });
    const starts = result.diagnostics.map((d) => d.primary.span.start);
    assert.deepEqual(starts, [...starts].sort((x, y) => x - y));
    assert.equal(result.diagnostics.length, 3);
  });
});

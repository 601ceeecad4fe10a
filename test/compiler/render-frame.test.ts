/** The code-frame printer and the JSON renderer: exact text for each shape of diagnostic. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { renderFrame, renderFrames } from '../../compiler/diagnostics/render-frame.js';
import { renderJson, toJsonDiagnostic } from '../../compiler/diagnostics/render-json.js';
import { SourceFile } from '../../compiler/diagnostics/source.js';
import { compileSource, ROWS } from './harness.js';

const text = [
  'dataset rows {',                                  // 1
  '  files: "data/rows.arrow"',                      // 2
  '  columns: { age: float, label: int }',           // 3
  '}',                                               // 4
  'features person {',                               // 5
  '  dataset: rows',                                 // 6
  '  transforms: [standardize(age)]',                // 7
  '}',                                               // 8
  'task income {',                                   // 9
  '  features: person',                              // 10
  '  target: incme',                                 // 11
  '  head: binary',                                  // 12
  '}',                                               // 13
].join('\n') + '\n';
const file = 'census.mtl';
const sources = new Map([[file, new SourceFile(file, text)]]);
/** The span of the `occurrence`-th `needle` in the text. */
const span = (needle: string, occurrence = 1) => {
  let at = -1;
  for (let i = 0; i < occurrence; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, needle);
  return { file, start: at, end: at + needle.length };
};

describe('renderFrame', () => {
  it('prints the headline, the location, the line and a caret under the primary span with its label', () => {
    const d = diagnostic({ code: 'MTL0201', message: 'dataset `rows` has no column `incme`', span: span('incme'), label: 'not among its columns' });
    assert.equal(renderFrame(d, sources), [
      'error[MTL0201]: dataset `rows` has no column `incme`',
      '  --> census.mtl:11:11',
      '   |',
      '11 |   target: incme',
      '   |           ^^^^^ not among its columns',
    ].join('\n'));
  });

  it('prints a secondary span in another place with `:::` and dashes, and help after a blank gutter line', () => {
    const d = diagnostic({
      code: 'MTL0201', message: 'dataset `rows` has no column `incme`', span: span('incme'), label: 'not among its columns',
      secondary: [{ span: span('rows'), message: 'the dataset is declared here' }], help: 'did you mean `income`?',
    });
    assert.equal(renderFrame(d, sources), [
      'error[MTL0201]: dataset `rows` has no column `incme`',
      '  --> census.mtl:11:11',
      '   |',
      '11 |   target: incme',
      '   |           ^^^^^ not among its columns',
      '  ::: census.mtl:1:9',
      '   |',
      ' 1 | dataset rows {',
      '   |         ---- the dataset is declared here',
      '   |',
      '   = help: did you mean `income`?',
    ].join('\n'));
  });

  it('sizes the gutter by the widest line number of any label, and prints warnings as warnings', () => {
    const d = diagnostic({ code: 'MTL0901', severity: 'warning', message: 'features `person` is never used', span: span('person'), label: 'defined here' });
    assert.equal(renderFrame(d, sources), [
      'warning[MTL0901]: features `person` is never used',
      ' --> census.mtl:5:10',
      '  |',
      '5 | features person {',
      '  |          ^^^^^^ defined here',
    ].join('\n'));
  });

  it('puts one caret after the last character for a span at the end of the file', () => {
    const short = 'train { epochs: 1';
    const d = diagnostic({ code: 'MTL0002', message: "expected '}', found the end of the file", span: { file: 'short.mtl', start: short.length, end: short.length }, label: "expected '}'" });
    assert.equal(renderFrame(d, new Map([['short.mtl', new SourceFile('short.mtl', short)]])), [
      "error[MTL0002]: expected '}', found the end of the file",
      ' --> short.mtl:1:18',
      '  |',
      '1 | train { epochs: 1',
      "  |                  ^ expected '}'",
    ].join('\n'));
  });

  it('prints an empty last line without trailing spaces', () => {
    const d = diagnostic({ code: 'MTL0405', message: 'the program declares no task', span: { file, start: text.length, end: text.length } });
    assert.equal(renderFrame(d, sources), [
      'error[MTL0405]: the program declares no task',
      '  --> census.mtl:14:1',
      '   |',
      '14 |',
      '   | ^',
    ].join('\n'));
  });

  it('underlines a span that runs over several lines to the end of its first line', () => {
    const start = text.indexOf('features person {');
    const d = diagnostic({ code: 'MTL0901', message: 'features `person` is never used', span: { file, start, end: text.indexOf('}', start) + 1 }, label: 'here' });
    assert.deepEqual(renderFrame(d, sources).split('\n').slice(3), ['5 | features person {', '  | ^^^^^^^^^^^^^^^^^ here']);
  });

  it('shows tabs as four spaces and keeps the carets under the span', () => {
    const tabbed = 'task t {\n\ttarget:\tincme\n}\n';
    const at = tabbed.indexOf('incme');
    const d = diagnostic({ code: 'MTL0201', message: 'dataset `rows` has no column `incme`', span: { file: 't.mtl', start: at, end: at + 5 }, label: 'here' });
    assert.deepEqual(renderFrame(d, new Map([['t.mtl', new SourceFile('t.mtl', tabbed)]])).split('\n').slice(1), [
      ' --> t.mtl:2:10',
      '  |',
      '2 |     target:    incme',
      '  |                ^^^^^ here',
    ]);
  });

  it('underlines a secondary span on the line just shown below it, without printing the line twice', () => {
    const d = diagnostic({
      code: 'MTL0106', message: 'column `age` is given twice', span: span('label'), label: 'again here',
      secondary: [{ span: span('age'), message: 'first here' }, { span: span('standardize'), message: 'elsewhere' }],
    });
    assert.deepEqual(renderFrame(d, sources).split('\n').slice(1), [
      ' --> census.mtl:3:26',
      '  |',
      '3 |   columns: { age: float, label: int }',
      '  |                          ^^^^^ again here',
      '  |              --- first here',
      ' ::: census.mtl:7:16',
      '  |',
      '7 |   transforms: [standardize(age)]',
      '  |                ----------- elsewhere',
    ]);
  });

  it('keeps the carets under a name after wide characters and combining accents', () => {
    const written = 'task 任务 { target: incme }\nbackbone tronc_e\u0301x = incme\n';
    const sourcesOf = new Map([['t.mtl', new SourceFile('t.mtl', written)]]);
    const underline = (nth: number) => {
      const at = written.indexOf('incme', nth === 0 ? 0 : written.indexOf('\n'));
      const d = diagnostic({ code: 'MTL0201', message: 'm', span: { file: 't.mtl', start: at, end: at + 5 }, label: 'here' });
      return renderFrame(d, sourcesOf).split('\n').slice(3);
    };
    assert.deepEqual(underline(0), ['1 | task 任务 { target: incme }', '  |                     ^^^^^ here']);
    assert.deepEqual(underline(1), ['2 | backbone tronc_e\u0301x = incme', '  |                     ^^^^^ here']);
  });

  it('names the file alone when its text is not available', () => {
    const d = diagnostic({ code: 'MTL0003', message: 'cannot read `x.mtl`', span: { file: 'x.mtl', start: 0, end: 0 }, help: 'check the path' });
    assert.equal(renderFrame(d, sources), ['error[MTL0003]: cannot read `x.mtl`', ' --> x.mtl', '  |', '  = help: check the path'].join('\n'));
  });

  it('colours only when asked', () => {
    const d = diagnostic({ code: 'MTL0201', message: 'm', span: span('incme'), label: 'l' });
    assert.doesNotMatch(renderFrame(d, sources), /\x1b\[/);
    const coloured = renderFrame(d, sources, { color: true });
    assert.match(coloured, /^\x1b\[1;31merror\[MTL0201\]\x1b\[0m\x1b\[1m: m\x1b\[0m\n/);
    assert.equal(coloured.replace(/\x1b\[[0-9;]*m/g, ''), renderFrame(d, sources));
  });
});

describe('renderFrames', () => {
  it('separates frames by a blank line and ends with a count of errors and warnings', () => {
    const error = diagnostic({ code: 'MTL0201', message: 'a', span: span('incme') });
    const warning = diagnostic({ code: 'MTL0901', severity: 'warning', message: 'b', span: span('person') });
    const out = renderFrames([error, warning, error], sources);
    assert.equal(out, `${renderFrame(error, sources)}\n\n${renderFrame(warning, sources)}\n\n${renderFrame(error, sources)}\n\n2 errors, 1 warning\n`);
    assert.match(renderFrames([warning], sources), /\n\n1 warning\n$/);
    assert.equal(renderFrames([], sources), '');
  });

  it('renders what the compiler reports (end to end)', () => {
    const c = compileSource(`${ROWS}
features person { dataset: rows, transforms: [standardize(age)] }
task income { features: person, target: incme, head: regression }`);
    assert.equal(renderFrames(c.diagnostics, c.loaded.sources), [
      'error[MTL0201]: dataset `rows` has no column `incme`',
      ' --> main.mtl:6:41',
      '  |',
      '6 | task income { features: person, target: incme, head: regression }',
      '  |                                         ^^^^^ not among its columns',
      ' ::: main.mtl:1:9',
      '  |',
      '1 | dataset rows {',
      '  |         ---- the dataset is declared here',
      '  |',
      "  = help: declare it in the dataset's `columns` with its type, e.g. `incme: float`",
      '',
      '1 error',
      '',
    ].join('\n'));
  });
});

describe('renderJson', () => {
  it('gives every span its offsets and 1-based line and column, the end exclusive', () => {
    const d: Diagnostic = diagnostic({
      code: 'MTL0201', message: 'dataset `rows` has no column `incme`', span: span('incme'), label: 'not among its columns',
      secondary: [{ span: span('rows'), message: 'declared here' }], help: 'did you mean `income`?',
    });
    const incme = text.indexOf('incme');
    assert.deepEqual(toJsonDiagnostic(d, sources), {
      code: 'MTL0201',
      severity: 'error',
      message: 'dataset `rows` has no column `incme`',
      primary: { file, start: { offset: incme, line: 11, column: 11 }, end: { offset: incme + 5, line: 11, column: 16 }, label: 'not among its columns' },
      secondary: [{ file, start: { offset: 8, line: 1, column: 9 }, end: { offset: 12, line: 1, column: 13 }, label: 'declared here' }],
      help: 'did you mean `income`?',
    });
  });

  it('wraps the list in { diagnostics } and ends with a newline; a span without source has line 0', () => {
    const d = diagnostic({ code: 'MTL0003', message: 'cannot read', span: { file: 'gone.mtl', start: 0, end: 0 } });
    const json = renderJson([d], sources);
    assert.ok(json.endsWith('}\n'));
    const parsed = JSON.parse(json) as { diagnostics: { primary: { start: unknown }; secondary: unknown[]; help: unknown }[] };
    assert.equal(parsed.diagnostics.length, 1);
    assert.deepEqual(parsed.diagnostics[0]!.primary.start, { offset: 0, line: 0, column: 0 });
    assert.deepEqual([parsed.diagnostics[0]!.secondary, parsed.diagnostics[0]!.help], [[], null]);
    assert.deepEqual(JSON.parse(renderJson([], sources)), { diagnostics: [] });
  });
});

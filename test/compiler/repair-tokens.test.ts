/**
 * Token mistakes reported once and repaired before parsing (compiler/syntax/repair-tokens.ts): what each reports, over
 * exactly which text, and that nothing else is reported for it. The fixtures under lexing/ and parsing/ show them in
 * whole programs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, Codes } from '../../compiler/index.js';

/** Each diagnostic of parsing `text` alone: its code, message and the text it underlines. */
const reported = (text: string) => parse({ file: 't.mtl', text }).diagnostics.map((d) => [d.code, d.message, text.slice(d.primary.span.start, d.primary.span.end)]);

describe('repaired tokens', () => {
  it('a malformed number is one diagnostic over all of it, and the list it is in parses', () => {
    assert.deepEqual(reported('backbone b = mlp(units: [12.3.4, 8])'), [[Codes.MalformedNumber, 'malformed number `12.3.4`', '12.3.4']]);
    assert.deepEqual(reported('backbone b = mlp(units: [2e3e1])\nbackbone c = mlp(units: [12abc])'), [
      [Codes.MalformedNumber, 'malformed number `2e3e1`', '2e3e1'],
      [Codes.MalformedNumber, 'malformed number `12abc`', '12abc'],
    ]);
  });

  it('leaves well-formed numbers alone, and a huge one to its own diagnostic', () => {
    assert.deepEqual(reported('backbone b = mlp(units: [1.5e-3, 2., .5, 1e5, 3])'), []);
    assert.deepEqual(reported('backbone b = mlp(units: [1e309])').map(([code]) => code), [Codes.NumberTooLarge]);
  });

  it('a name that is not ASCII is one diagnostic over the whole name, with an ASCII spelling when one is obvious', () => {
    const d = parse({ file: 't.mtl', text: 'backbone naïve_größe = mlp(units: [8])' }).diagnostics;
    assert.deepEqual(d.map((x) => [x.code, x.message, x.primary.message, x.help]), [
      [Codes.NonAsciiName, 'the name `naïve_größe` is not ASCII', '`ï` is not an ASCII letter', 'names are made of ASCII letters, digits and `_`; `naive_grosse` would do'],
    ]);
    assert.equal(parse({ file: 't.mtl', text: 'backbone naïve_größe = mlp(units: [8])' }).value?.declarations[0]?.name?.text, 'naïve_größe');
    assert.deepEqual(reported('task 任务 { }').map(([code, , under]) => [code, under]), [[Codes.NonAsciiName, '任务']]);
  });

  it('a letter after a quote that opens no string is the string\'s, not a name', () => {
    assert.ok(!reported('"naïve\n').some(([code]) => code === Codes.NonAsciiName));
  });

  it('a keyword as a declaration\'s or an import\'s name is said to be one, and read as the name', () => {
    assert.deepEqual(reported('backbone task = mlp(units: [8])'), [[Codes.KeywordAsName, '`task` is a keyword and cannot be a name', 'task']]);
    assert.deepEqual(reported('import "x.mtl" as in'), [[Codes.KeywordAsName, '`in` is a keyword and cannot be a name', 'in']]);
    assert.equal(parse({ file: 't.mtl', text: 'backbone task = mlp(units: [8])' }).value?.declarations[0]?.name?.text, 'task');
  });

  it('leaves keywords that name fields, and names that contain a keyword, alone', () => {
    assert.deepEqual(reported('features tasks { dataset: rows }\ntask trains { features: tasks, target: x }\ndataset d { split: ratio(train: 0.8, valid: 0.1, test: 0.1) }'), []);
  });
});

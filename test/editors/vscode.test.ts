/**
 * The VS Code extension under editors/vscode: its manifest contributes the language, the grammar and the setting the
 * extension starts `mtl lsp` with; the TextMate grammar is valid JSON whose every regex compiles, and a small
 * tokenizer following TextMate's rule (the leftmost match wins; ties go to the first pattern) scopes lines of
 * census.mtl as expected. Its regexes use nothing where Oniguruma and JavaScript differ.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';

const DIR = 'editors/vscode';
const grammar = JSON.parse(fs.readFileSync(`${DIR}/syntaxes/mtl.tmLanguage.json`, 'utf8')) as Grammar;
const manifest = JSON.parse(fs.readFileSync(`${DIR}/package.json`, 'utf8'));

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  include?: string;
  captures?: Record<string, { name: string }>;
  patterns?: Rule[];
}
interface Grammar { scopeName: string; patterns: Rule[]; repository: Record<string, Rule> }

/** The grammar's top-level rules in order, includes replaced by what they name. */
function rules(list: Rule[]): Rule[] {
  return list.flatMap((rule) => {
    if (rule.include) {
      const included = grammar.repository[rule.include.replace(/^#/, '')];
      assert.ok(included, `${rule.include} is not in the repository`);
      return included.match || included.begin ? [included] : rules(included.patterns ?? []);
    }
    return [rule];
  });
}

/** Every regex in the grammar, with where it is. */
function regexes(rule: Rule, where: string): [string, string][] {
  return [
    ...(['match', 'begin', 'end'] as const).flatMap((key) => (rule[key] === undefined ? [] : [[`${where}.${key}`, rule[key]!] as [string, string]])),
    ...(rule.patterns ?? []).flatMap((r, i) => regexes(r, `${where}.patterns[${i}]`)),
  ];
}

/** One line's tokens as [text, scope] (null for text no rule matched; blanks left out). */
function tokenize(line: string): [string, string | null][] {
  const top = rules(grammar.patterns);
  const out: [string, string | null][] = [];
  let pos = 0;
  while (pos < line.length) {
    let best: { rule: Rule; m: RegExpExecArray } | null = null;
    for (const rule of top) {
      const re = new RegExp(rule.match ?? rule.begin!, 'g');
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && (!best || m.index < best.m.index)) best = { rule, m };
    }
    if (!best) {
      out.push([line.slice(pos), null]);
      break;
    }
    const { rule, m } = best;
    if (m.index > pos) out.push([line.slice(pos, m.index), null]);
    let stop = m.index + Math.max(1, m[0].length);
    if (rule.begin) {
      const end = new RegExp(rule.end!, 'g');
      end.lastIndex = m.index + m[0].length;
      const e = end.exec(line);
      stop = e ? e.index + e[0].length : line.length;
      out.push([line.slice(m.index, stop), rule.name!]);
    } else if (rule.captures) {
      for (const [group, { name }] of Object.entries(rule.captures)) if (m[Number(group)] !== undefined) out.push([m[Number(group)]!, name]);
    } else {
      out.push([m[0], rule.name!]);
    }
    pos = stop;
  }
  return out.map(([text, scope]): [string, string | null] => [text.trim(), scope]).filter(([text]) => text !== '');
}

const census = fs.readFileSync('examples/census/census.mtl', 'utf8').split('\n');
const line = (start: string) => census.find((l) => l.startsWith(start))!;

describe('the VS Code extension', () => {
  it('contributes the language for *.mtl, its grammar and the command setting, and starts `mtl lsp`', () => {
    assert.deepEqual(manifest.contributes.languages.map((l: { id: string; extensions: string[] }) => [l.id, l.extensions]), [['mtl', ['.mtl']]]);
    assert.deepEqual(manifest.contributes.grammars, [{ language: 'mtl', scopeName: grammar.scopeName, path: './syntaxes/mtl.tmLanguage.json' }]);
    assert.equal(grammar.scopeName, 'source.mtl');
    assert.equal(manifest.contributes.configuration.properties['mtl.path'].default, 'mtl');
    assert.ok(fs.existsSync(`${DIR}/${manifest.main}`) && fs.existsSync(`${DIR}/language-configuration.json`));
    const extension = fs.readFileSync(`${DIR}/extension.js`, 'utf8');
    assert.ok(extension.includes("require('vscode-languageclient/node')") && extension.includes("args: ['lsp']") && extension.includes('TransportKind.stdio'));
    // The client library is the extension's dependency, not the project's.
    assert.ok(manifest.dependencies['vscode-languageclient']);
    const root = JSON.parse(fs.readFileSync('package.json', 'utf8'));
    assert.equal({ ...root.dependencies, ...root.devDependencies }['vscode-languageclient'], undefined);
    for (const key of ['brackets', 'autoClosingPairs', 'comments']) assert.ok(key in JSON.parse(fs.readFileSync(`${DIR}/language-configuration.json`, 'utf8')), key);
  });

  it('has a grammar whose every regex compiles', () => {
    const all = [...grammar.patterns.flatMap((r, i) => regexes(r, `patterns[${i}]`)), ...Object.entries(grammar.repository).flatMap(([name, r]) => regexes(r, name))];
    assert.ok(all.length >= 15, `${all.length} regexes`);
    for (const [where, source] of all) assert.doesNotThrow(() => new RegExp(source), where);
  });

  it('scopes declarations, fields, calls, strings, numbers, operators and comments of census.mtl', () => {
    assert.deepEqual(tokenize(line('task income')), [['task', 'storage.type.declaration.mtl'], ['income', 'entity.name.type.declaration.mtl'], ['{', 'punctuation.section.braces.mtl']]);
    assert.deepEqual(tokenize(line('  target: income_50k')), [
      ['target', 'variable.other.property.mtl'], [':', 'punctuation.separator.colon.mtl'], ['income_50k', null], ['==', 'keyword.operator.mtl'], ['"50000+."', 'string.quoted.double.mtl'],
    ]);
    assert.deepEqual(tokenize(line('  optimizer:')), [
      ['optimizer', 'variable.other.property.mtl'], [':', 'punctuation.separator.colon.mtl'], ['adam', 'entity.name.function.constructor.mtl'], ['(', 'punctuation.section.parens.mtl'],
      ['lr', 'variable.other.property.mtl'], [':', 'punctuation.separator.colon.mtl'], ['0.002', 'constant.numeric.mtl'], [')', 'punctuation.section.parens.mtl'],
    ]);
    const comment = line('  // Half the file');
    assert.deepEqual(tokenize(comment), [[comment.trim(), 'comment.line.double-slash.mtl']]);
    assert.deepEqual(tokenize('train { seed: 7 } /* a "block" */ # more'), [
      ['train', 'storage.type.declaration.mtl'], ['{', 'punctuation.section.braces.mtl'], ['seed', 'variable.other.property.mtl'], [':', 'punctuation.separator.colon.mtl'],
      ['7', 'constant.numeric.mtl'], ['}', 'punctuation.section.braces.mtl'], ['/* a "block" */', 'comment.block.mtl'], ['# more', 'comment.line.number-sign.mtl'],
    ]);
    assert.deepEqual(tokenize('import "lib.mtl" as lib'), [['import', 'keyword.control.import.mtl'], ['"lib.mtl"', 'string.quoted.double.mtl'], ['as', 'keyword.control.as.mtl'], ['lib', null]]);
  });
});

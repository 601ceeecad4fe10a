/**
 * The language server's checking, timed where it matters: each keystroke in examples/census/census.mtl checks the
 * program again (the diagnostics of `mtl check`, then the index of its names), and must stay under 50 ms warm.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Workspace } from '../../lsp/workspace.js';
import { check } from '../../compiler/index.js';

const CENSUS = path.resolve('examples/census/census.mtl');

describe('the language server\'s analysis of census.mtl', () => {
  it('gives the diagnostics of mtl check, and takes under 50 ms a keystroke once warm', (t) => {
    const text = fs.readFileSync(CENSUS, 'utf8');
    const uri = pathToFileURL(CENSUS).href;
    let document = TextDocument.create(uri, 'mtl', 1, text);
    const workspace = new Workspace({ get: (u) => (u === uri ? document : undefined), all: () => [document] });
    const times: number[] = [];
    for (let keystroke = 0; keystroke < 40; keystroke++) {
      // A comment grows by a character: a new version, so nothing is kept from the last check.
      document = TextDocument.create(uri, 'mtl', keystroke + 2, `${text}// ${'x'.repeat(keystroke)}\n`);
      const start = performance.now();
      const analysis = workspace.analysis(workspace.pathOf(uri));
      times.push(performance.now() - start);
      assert.deepEqual(analysis.diagnostics, check({ file: CENSUS, text: document.getText() }).diagnostics);
      assert.ok(analysis.occurrences.get(CENSUS)!.length > 50);
    }
    const warm = times.slice(10).sort((a, b) => a - b);
    const median = warm[Math.floor(warm.length / 2)]!;
    t.diagnostic(`census.mtl per keystroke: first ${times[0]!.toFixed(1)} ms, warm median ${median.toFixed(2)} ms, warm max ${warm.at(-1)!.toFixed(2)} ms`);
    assert.ok(median < 50, `median ${median.toFixed(1)} ms`);
  });

  it('keeps an analysis until a file it read changes', () => {
    const uri = pathToFileURL(CENSUS).href;
    const document = TextDocument.create(uri, 'mtl', 1, fs.readFileSync(CENSUS, 'utf8'));
    const workspace = new Workspace({ get: (u) => (u === uri ? document : undefined), all: () => [document] });
    const first = workspace.analysis(CENSUS);
    assert.equal(workspace.analysis(CENSUS), first);
    workspace.invalidate();
    assert.notEqual(workspace.analysis(CENSUS), first);
  });
});

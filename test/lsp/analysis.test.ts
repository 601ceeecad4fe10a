/**
 * The language server's checking: each keystroke in examples/census/census.mtl checks the program again (the
 * diagnostics of `mtl check`, then the index of its names). How long that takes is measured by `npm run bench:compile`
 * (no timed tests: these machines are shared).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Workspace } from '../../lsp/workspace.js';
import { check } from '../../compiler/index.js';

const CENSUS = path.resolve('examples/census/census.mtl');

describe('the language server\'s analysis of census.mtl', () => {
  it('gives the diagnostics of mtl check on every keystroke', () => {
    const text = fs.readFileSync(CENSUS, 'utf8');
    const uri = pathToFileURL(CENSUS).href;
    let document = TextDocument.create(uri, 'mtl', 1, text);
    const workspace = new Workspace({ get: (u) => (u === uri ? document : undefined), all: () => [document] });
    for (let keystroke = 0; keystroke < 5; keystroke++) {
      // A comment grows by a character: a new version, so nothing is kept from the last check.
      document = TextDocument.create(uri, 'mtl', keystroke + 2, `${text}// ${'x'.repeat(keystroke)}\n`);
      const analysis = workspace.analysis(workspace.pathOf(uri));
      assert.deepEqual(analysis.diagnostics, check({ file: CENSUS, text: document.getText() }).diagnostics);
      assert.ok(analysis.occurrences.get(CENSUS)!.length > 50);
    }
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

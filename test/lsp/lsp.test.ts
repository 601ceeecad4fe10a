/**
 * `mtl lsp --stdio` driven over its standard input and output by a real LSP client (vscode-languageserver-protocol):
 * a program importing another file under an alias, opened with mistakes, then edited; every answer is checked
 * against exact positions, and the server must exit 0 after shutdown and exit.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CompletionRequest, DefinitionRequest, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, DocumentFormattingRequest,
  ExitNotification, HoverRequest, InitializeRequest, InitializedNotification, PublishDiagnosticsNotification, ReferencesRequest, RenameRequest,
  ShutdownRequest, StreamMessageReader, StreamMessageWriter, createProtocolConnection,
  type CompletionItem, type Diagnostic, type Location, type MarkupContent, type Position, type ProtocolConnection, type Range, type TextEdit, type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { format } from '../../compiler/index.js';
import { backbones } from '../../stdlib/index.js';

const DATA = path.resolve('examples/census/data/census-income.arrow');
/** On disk, the dataset lacks `marital_stat`; the unsaved text opened in the editor adds it. */
const LIB_ON_DISK = `dataset census {
  files: ${JSON.stringify(DATA)}
  columns: { age: float, income_50k: string }
}

features person { dataset: census, transforms: [standardize(age)] }
`;
const LIB_UNSAVED = LIB_ON_DISK.replace('income_50k: string', 'income_50k: string, marital_stat: string');
const MAIN = `import "lib.mtl" as lib

backbone trunk = mlp(units: [16])

task income {
  features: lib.person
  target: income_50k == "50000+."
  head: binry
}

task never_married {
  features:   lib.person
  target: marital_stat == "Never married"
  head: binary
}

share shared_trunk = hard(backbone: trunk, tasks: [income, never_married])

train {
  optimizer: adam(lr: 0.002)
  epochs: 1
}
`;

/** The position of the `nth` occurrence of `needle` in `text`, plus `shift` characters. */
function positionOf(text: string, needle: string, shift = 0, nth = 0): Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, `${needle} not in the text`);
  return TextDocument.create('x', 'mtl', 0, text).positionAt(at + shift);
}

function rangeOf(text: string, needle: string, nth = 0): Range {
  const start = positionOf(text, needle, 0, nth);
  return { start, end: { line: start.line, character: start.character + needle.length } };
}

describe('mtl lsp over stdio', () => {
  let dir: string;
  let mainUri: string;
  let libUri: string;
  let server: ChildProcess;
  let client: ProtocolConnection;
  let mainText = MAIN;
  let mainVersion = 1;
  const exited = new Promise<number | null>((resolve) => {
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-lsp-'));
      fs.writeFileSync(path.join(dir, 'lib.mtl'), LIB_ON_DISK);
      fs.writeFileSync(path.join(dir, 'main.mtl'), MAIN);
      mainUri = pathToFileURL(path.join(dir, 'main.mtl')).href;
      libUri = pathToFileURL(path.join(dir, 'lib.mtl')).href;
      server = spawn(process.execPath, ['dist/cli/main.js', 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
      server.on('exit', (code) => resolve(code));
      client = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
      client.onNotification(PublishDiagnosticsNotification.type, ({ uri, diagnostics }) => {
        for (const waiter of waiters.splice(0)) if (!waiter(uri, diagnostics)) waiters.push(waiter);
      });
      client.listen();
    });
  });
  after(() => {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Waiters for published diagnostics: each returns true when it was the one it waited for. */
  const waiters: ((uri: string, diagnostics: Diagnostic[]) => boolean)[] = [];
  /** The next diagnostics published for `uri` that satisfy `until` (the server also publishes on its way there). */
  const diagnosticsFor = (uri: string, until: (d: Diagnostic[]) => boolean = () => true) => new Promise<Diagnostic[]>((resolve) => {
    waiters.push((u, d) => (u === uri && until(d) ? (resolve(d), true) : false));
  });
  const brief = (diagnostics: Diagnostic[]) => diagnostics.map((d) => ({ code: d.code, range: d.range }));

  const change = (edit: { range: Range; text: string }) => {
    const document = TextDocument.create(mainUri, 'mtl', mainVersion, mainText);
    mainText = TextDocument.applyEdits(document, [{ range: edit.range, newText: edit.text }]);
    void client.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: mainUri, version: ++mainVersion }, contentChanges: [edit] });
  };

  const replaceAll = (text: string) => change({ range: { start: { line: 0, character: 0 }, end: positionOf(mainText, '', mainText.length) }, text });

  it('initializes, with the features it serves', async () => {
    const result = await client.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
    const c = result.capabilities;
    assert.deepEqual([!!c.hoverProvider, !!c.completionProvider, !!c.definitionProvider, !!c.renameProvider, !!c.documentFormattingProvider], [true, true, true, true, true]);
    await client.sendNotification(InitializedNotification.type, {});
  });

  it('publishes the diagnostics of mtl check on open, with codes and exact ranges, the help in the message', async () => {
    const published = diagnosticsFor(mainUri);
    await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: mainUri, languageId: 'mtl', version: mainVersion, text: mainText } });
    const diagnostics = await published;
    assert.deepEqual(brief(diagnostics), [
      { code: 'MTL0101', range: rangeOf(MAIN, 'binry') },
      { code: 'MTL0201', range: rangeOf(MAIN, 'marital_stat') },
    ]);
    assert.equal(diagnostics[0]!.message, 'unknown head `binry`\nnot known here\nhelp: did you mean `binary`?');
    assert.equal(diagnostics[0]!.severity, 1);
    // The secondary label, in the imported file.
    assert.deepEqual(diagnostics[1]!.relatedInformation, [{ location: { uri: libUri, range: rangeOf(LIB_ON_DISK, 'census') }, message: 'the dataset is declared here' }]);
  });

  it('reads an open imported file\'s unsaved text instead of the disk', async () => {
    const published = diagnosticsFor(mainUri, (d) => d.length === 1);
    await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: libUri, languageId: 'mtl', version: 1, text: LIB_UNSAVED } });
    assert.deepEqual(brief(await published), [{ code: 'MTL0101', range: rangeOf(MAIN, 'binry') }]);
  });

  it('clears the diagnostics when an edit fixes the last mistake', async () => {
    const published = diagnosticsFor(mainUri);
    change({ range: rangeOf(mainText, 'binry'), text: 'binary' });
    assert.deepEqual(await published, []);
  });

  it('hovers a constructor with its signature and doc, and a declared name with where it is declared', async () => {
    const onMlp = await client.sendRequest(HoverRequest.type, { textDocument: { uri: mainUri }, position: positionOf(mainText, 'mlp(', 1) });
    const mlp = (onMlp!.contents as MarkupContent).value;
    assert.ok(mlp.startsWith('```mtl\nmlp(units: list<int>'), mlp);
    assert.ok(mlp.includes(backbones.mlp.doc), mlp);
    assert.deepEqual(onMlp!.range, rangeOf(mainText, 'mlp'));
    const onPerson = await client.sendRequest(HoverRequest.type, { textDocument: { uri: mainUri }, position: positionOf(mainText, 'lib.person', 5) });
    assert.equal((onPerson!.contents as MarkupContent).value, '```mtl\nfeatures lib.person\n```\n\ndeclared at lib.mtl:6:10');
    const onColumn = await client.sendRequest(HoverRequest.type, { textDocument: { uri: mainUri }, position: positionOf(mainText, 'marital_stat', 3) });
    const declared = positionOf(LIB_UNSAVED, 'marital_stat');
    assert.equal((onColumn!.contents as MarkupContent).value, `\`\`\`mtl\nmarital_stat: string\n\`\`\`\n\ncolumn of dataset \`lib.census\`, declared at lib.mtl:${declared.line + 1}:${declared.character + 1}`);
    const onLr = await client.sendRequest(HoverRequest.type, { textDocument: { uri: mainUri }, position: positionOf(mainText, 'lr:') });
    assert.equal((onLr!.contents as MarkupContent).value, '```mtl\nlr: number | schedule = 0.001\n```\n\nargument of `adam`: learning rate or schedule (above 0)');
  });

  it('completes constructors, fields not yet written, named arguments not yet given and declared names', async () => {
    const labels = async (position: Position) => ((await client.sendRequest(CompletionRequest.type, { textDocument: { uri: mainUri }, position })) as CompletionItem[]).map((i) => i.label);
    const heads = await labels(positionOf(mainText, 'head: binary', 'head: '.length));
    assert.ok(heads.includes('binary') && heads.includes('regression'), heads.join());
    assert.ok(!heads.includes('adam') && !heads.includes('mlp') && !heads.includes('income'), heads.join());

    change({ range: { start: positionOf(mainText, 'epochs: 1', 'epochs: 1'.length), end: positionOf(mainText, 'epochs: 1', 'epochs: 1'.length) }, text: '\n  ' });
    const fields = await labels(positionOf(mainText, 'epochs: 1', 'epochs: 1\n  '.length));
    assert.ok(fields.includes('batch_size') && fields.includes('weighting'), fields.join());
    assert.ok(!fields.includes('optimizer') && !fields.includes('epochs') && !fields.includes('features'), fields.join());

    // Text that does not parse (the user is typing): `adam(lr: 0.002, ` and a list left open.
    change({ range: { start: positionOf(mainText, 'lr: 0.002', 'lr: 0.002'.length), end: positionOf(mainText, 'lr: 0.002', 'lr: 0.002'.length) }, text: ', ' });
    const args = await labels(positionOf(mainText, 'lr: 0.002, ', 'lr: 0.002, '.length));
    assert.ok(args.includes('beta1') && args.includes('clip_norm') && !args.includes('lr'), args.join());
    change({ range: { start: positionOf(mainText, 'epochs: 1\n  ', 'epochs: 1\n  '.length), end: positionOf(mainText, 'epochs: 1\n  ', 'epochs: 1\n  '.length) }, text: 'stages: [stage(tasks: [income, ' });
    const tasks = await labels(positionOf(mainText, '[income, ', '[income, '.length));
    assert.deepEqual(tasks, ['never_married']);
  });

  it('goes to a definition in the imported file', async () => {
    const location = await client.sendRequest(DefinitionRequest.type, { textDocument: { uri: mainUri }, position: positionOf(mainText, 'lib.person', 6) }) as Location;
    assert.deepEqual(location, { uri: libUri, range: rangeOf(LIB_UNSAVED, 'person') });
    const references = await client.sendRequest(ReferencesRequest.type, { textDocument: { uri: mainUri }, position: positionOf(mainText, 'lib.person', 6), context: { includeDeclaration: false } });
    assert.deepEqual(references, [
      { uri: mainUri, range: rangeOf(mainText, 'person', 0) },
      { uri: mainUri, range: rangeOf(mainText, 'person', 1) },
    ]);
  });

  it('renames a declaration in every file, and refuses a keyword or a name already declared', async () => {
    const at = { textDocument: { uri: mainUri }, position: positionOf(mainText, 'lib.person', 5) };
    const edit = await client.sendRequest(RenameRequest.type, { ...at, newName: 'people' }) as WorkspaceEdit;
    assert.deepEqual(edit.changes, {
      [mainUri]: [{ range: rangeOf(mainText, 'person', 0), newText: 'people' }, { range: rangeOf(mainText, 'person', 1), newText: 'people' }],
      [libUri]: [{ range: rangeOf(LIB_UNSAVED, 'person'), newText: 'people' }],
    });
    await assert.rejects(client.sendRequest(RenameRequest.type, { ...at, newName: 'task' }), { code: -32803, message: '`task` is a keyword of the language, not a name' });
    const onIncome = { textDocument: { uri: mainUri }, position: positionOf(mainText, 'task income', 'task '.length) };
    await assert.rejects(client.sendRequest(RenameRequest.type, { ...onIncome, newName: 'never_married' }), { code: -32803, message: 'a task named `never_married` is already declared (line 11)' });
  });

  it('formats as mtl fmt does, and leaves text with syntax errors alone', async () => {
    const request = { textDocument: { uri: mainUri }, options: { tabSize: 2, insertSpaces: true } };
    assert.ok(mainText.includes('[income, '), 'the text still ends in an unclosed call and list');
    assert.deepEqual(await client.sendRequest(DocumentFormattingRequest.type, request), []);
    replaceAll(MAIN.replace('binry', 'binary'));
    const edits = await client.sendRequest(DocumentFormattingRequest.type, request) as TextEdit[];
    const formatted = TextDocument.applyEdits(TextDocument.create(mainUri, 'mtl', 0, mainText), edits);
    assert.equal(formatted, format(mainText).value);
    assert.ok(formatted.includes('  features: lib.person\n  target: marital_stat'), formatted);
  });

  it('shuts down and exits 0', async () => {
    await client.sendRequest(ShutdownRequest.type);
    await client.sendNotification(ExitNotification.type);
    assert.equal(await exited, 0);
  });
});

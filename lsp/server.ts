/**
 * `mtl lsp`: the language server, over standard input and output. Each open document is checked as a program's
 * entry (the diagnostics of `mtl check`, as the user types); hover, completion, definition, references, rename and
 * formatting (`mtl fmt`) read the same analyses. Nothing here loads the runtime.
 */
import {
  createConnection, StreamMessageReader, StreamMessageWriter, TextDocuments, TextDocumentSyncKind,
  type Connection, type Diagnostic as LspDiagnostic, type TextEdit,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { format } from '../compiler/index.js';
import { taskDataset } from '../compiler/check/model.js';
import type { Analysis } from './analysis.js';
import { completions, type Names } from './completion.js';
import { diagnosticsByFile } from './diagnostics.js';
import { hoverText } from './hover.js';
import { definition, prepareRename, references, rename } from './navigation.js';
import { occurrenceAt } from './occurrences.js';
import { Workspace } from './workspace.js';

/** Checking waits this long after the last keystroke: one check for a burst of typing. */
const DEBOUNCE_MS = 30;

export function startServer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Connection {
  const connection = createConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  const documents = new TextDocuments(TextDocument);
  const workspace = new Workspace(documents);

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: true },
      hoverProvider: true,
      completionProvider: { triggerCharacters: [':', '(', '[', '{', ',', '.'] },
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      documentFormattingProvider: true,
    },
    serverInfo: { name: 'mtl' },
  }));

  // ---------------------------------------------------------------- diagnostics

  /** Files last published with diagnostics: each is cleared when it has none any more. */
  let published = new Set<string>();
  let timer: NodeJS.Timeout | null = null;

  const publish = () => {
    timer = null;
    const byUri = new Map<string, Map<string, LspDiagnostic>>();
    for (const file of workspace.openFiles()) byUri.set(workspace.uriOf(file), new Map());
    for (const file of workspace.openFiles()) {
      const analysis = workspace.analysis(file);
      for (const [inFile, diagnostics] of diagnosticsByFile(analysis, workspace.positions(analysis))) {
        const uri = workspace.uriOf(inFile);
        const forUri = byUri.get(uri) ?? new Map<string, LspDiagnostic>();
        // A file two open programs read reports its problems once.
        for (const d of diagnostics) forUri.set(JSON.stringify(d), d);
        byUri.set(uri, forUri);
      }
    }
    for (const uri of published) if (!byUri.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
    for (const [uri, diagnostics] of byUri) void connection.sendDiagnostics({ uri, diagnostics: [...diagnostics.values()] });
    published = new Set([...byUri].filter(([, d]) => d.size > 0).map(([uri]) => uri));
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(publish, DEBOUNCE_MS);
  };

  documents.onDidOpen(() => workspace.invalidate());
  documents.onDidClose((e) => {
    workspace.invalidate();
    workspace.forget(workspace.pathOf(e.document.uri));
    schedule();
  });
  documents.onDidChangeContent(schedule);
  documents.onDidSave(() => {
    workspace.invalidate();
    schedule();
  });
  connection.onDidChangeWatchedFiles(() => {
    workspace.invalidate();
    schedule();
  });

  // ---------------------------------------------------------------- requests

  connection.onHover(({ textDocument, position }) => {
    const file = workspace.pathOf(textDocument.uri);
    const analysis = workspace.analysis(file);
    const positions = workspace.positions(analysis);
    const occurrence = occurrenceAt(analysis.occurrences.get(file), positions.offset(file, position));
    const text = occurrence && hoverText(occurrence, analysis.program, analysis.sources, analysis.entry);
    return text ? { contents: { kind: 'markdown', value: text }, range: positions.range(occurrence.span) } : null;
  });

  connection.onCompletion(({ textDocument, position }) => {
    const document = documents.get(textDocument.uri);
    if (!document) return [];
    return completions(document.getText(), document.offsetAt(position), namesOf(workspace.analysis(workspace.pathOf(textDocument.uri))));
  });

  connection.onDefinition(({ textDocument, position }) => definition(workspace, workspace.pathOf(textDocument.uri), position));
  connection.onReferences(({ textDocument, position, context }) => references(workspace, workspace.pathOf(textDocument.uri), position, context.includeDeclaration));
  connection.onPrepareRename(({ textDocument, position }) => prepareRename(workspace, workspace.pathOf(textDocument.uri), position));
  connection.onRenameRequest(({ textDocument, position, newName }) => rename(workspace, workspace.pathOf(textDocument.uri), position, newName));

  connection.onDocumentFormatting(({ textDocument }): TextEdit[] => {
    const document = documents.get(textDocument.uri);
    if (!document) return [];
    const text = document.getText();
    let formatted: string | null;
    try {
      formatted = format(text, { file: workspace.pathOf(textDocument.uri) }).value;
    } catch (error) {
      connection.console.error(`mtl fmt failed (this is a bug in mtl): ${(error as Error).message}`);
      return [];
    }
    // Text with syntax errors is left as it is: its diagnostics say why.
    if (formatted === null || formatted === text) return [];
    return [{ range: { start: { line: 0, character: 0 }, end: document.positionAt(text.length) }, newText: formatted }];
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}

/** What completion may offer from a program: its declared names, and the columns a declaration reads. */
function namesOf(analysis: Analysis): Names {
  const program = analysis.program;
  return {
    declared: (kind) => program?.scope.names(kind) ?? [],
    columns: (declKind, declName) => {
      if (!program) return [];
      const task = declKind === 'task' && declName ? program.tasks.get(declName) : undefined;
      const features = declKind === 'features' && declName ? program.features.get(declName) : undefined;
      const dataset = task ? taskDataset(program, task) : features?.dataset ? program.datasets.get(features.dataset) : undefined;
      const datasets = dataset ? [dataset] : [...program.datasets.values()];
      return datasets.flatMap((d) => [...d.columns].map(([name, column]) => ({ name, type: column.type })));
    },
  };
}

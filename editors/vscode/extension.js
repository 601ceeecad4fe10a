// Starts `mtl lsp --stdio` (the command from the `mtl.path` setting) for .mtl files; everything else is the server's.
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('mtl').get('path') || 'mtl';
  // TransportKind.stdio makes the client add `--stdio` to the arguments.
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('mtl', 'mtl language server', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'mtl' }, { scheme: 'untitled', language: 'mtl' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{mtl,arrow}') },
  });
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (event) => {
    if (event.affectsConfiguration('mtl.path')) await vscode.commands.executeCommand('workbench.action.restartExtensionHost');
  }));
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };

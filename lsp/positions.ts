/**
 * Offsets (the compiler's spans) to LSP positions and back. Both count UTF-16 code units, JavaScript's string
 * indices, which is LSP's default position encoding; lines are split as the compiler splits them.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Location, Position, Range } from 'vscode-languageserver/node.js';
import type { Span } from '../compiler/index.js';
import type { Sources } from '../compiler/diagnostics/source.js';

export class Positions {
  private readonly documents = new Map<string, TextDocument>();

  constructor(private readonly sources: Sources, private readonly uriOf: (file: string) => string) {}

  range(span: Span): Range {
    const document = this.document(span.file);
    return { start: document.positionAt(span.start), end: document.positionAt(span.end) };
  }

  location(span: Span): Location {
    return { uri: this.uriOf(span.file), range: this.range(span) };
  }

  offset(file: string, position: Position): number {
    return this.document(file).offsetAt(position);
  }

  private document(file: string): TextDocument {
    let document = this.documents.get(file);
    if (!document) {
      document = TextDocument.create(this.uriOf(file), 'mtl', 0, this.sources.get(file)?.text ?? '');
      this.documents.set(file, document);
    }
    return document;
  }
}

/**
 * The open documents and the analysis of each: unsaved text wins over the disk, for a document checked as an entry
 * and for an open document another one imports. An analysis is kept until a file it read changes (a new version of
 * an open document, a document opened or closed, a file saved or changed on disk).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { nodeHost, type Host } from '../compiler/index.js';
import { analyze, type Analysis } from './analysis.js';
import { Positions } from './positions.js';

/** The open documents by URI (the server's `TextDocuments`). */
export interface OpenDocuments {
  get(uri: string): TextDocument | undefined;
  all(): TextDocument[];
}

interface Kept {
  analysis: Analysis;
  /** The version of each open document it read ('disk' for a file read from disk), and the disk generation. */
  versions: Map<string, number | 'disk'>;
  generation: number;
}

export class Workspace {
  private readonly kept = new Map<string, Kept>();
  private readonly uris = new Map<string, string>();
  private readonly disk = nodeHost();
  private readonly arrowSchemas = new Map<string, { stamp: string; columns: Map<string, string> | null }>();
  /** Bumped when what is on disk may have changed, or a document was opened or closed. */
  private generation = 0;

  /** Reads open documents first; reads an Arrow file's footer again only when the file changed. */
  readonly host: Host = {
    readFile: (file) => this.document(file)?.getText() ?? this.disk.readFile(file),
    glob: (pattern, cwd) => this.disk.glob(pattern, cwd),
    arrowSchema: (file) => {
      let stamp: string;
      try {
        const stat = fs.statSync(file);
        stamp = `${stat.mtimeMs}:${stat.size}`;
      } catch {
        return null;
      }
      const cached = this.arrowSchemas.get(file);
      if (cached?.stamp === stamp) return cached.columns;
      const columns = this.disk.arrowSchema?.(file) ?? null;
      this.arrowSchemas.set(file, { stamp, columns });
      return columns;
    },
  };

  constructor(private readonly documents: OpenDocuments) {}

  /** The path a document URI names (a `file:` URI's path; any other URI stands for itself). */
  pathOf(uri: string): string {
    if (!uri.startsWith('file:')) return uri;
    const file = fileURLToPath(uri);
    this.uris.set(file, uri);
    return file;
  }

  /** The URI of a path: the one the client used for it, else its `file:` URI. */
  uriOf(file: string): string {
    return this.uris.get(file) ?? (path.isAbsolute(file) ? pathToFileURL(file).href : file);
  }

  document(file: string): TextDocument | undefined {
    return this.documents.get(this.uriOf(file));
  }

  /** Paths of the open documents. */
  openFiles(): string[] {
    return this.documents.all().map((d) => this.pathOf(d.uri));
  }

  /** Files on disk may have changed, or the set of open documents did: every analysis is read again. */
  invalidate(): void {
    this.generation++;
  }

  /** The analysis of the program whose entry is this file, brought up to date. */
  analysis(file: string): Analysis {
    const kept = this.kept.get(file);
    if (kept && kept.generation === this.generation && [...kept.versions].every(([f, v]) => (this.document(f)?.version ?? 'disk') === v)) return kept.analysis;
    const analysis = analyze(file, this.host);
    const versions = new Map<string, number | 'disk'>([...analysis.sources.keys()].map((f) => [f, this.document(f)?.version ?? 'disk']));
    this.kept.set(file, { analysis, versions, generation: this.generation });
    return analysis;
  }

  /** Analyses of the open documents whose programs read this file (its own first, when it is open). */
  analysesReading(file: string): Analysis[] {
    const entries = [file, ...this.openFiles().filter((f) => f !== file)];
    return entries.filter((f) => f === file || this.document(f)).map((f) => this.analysis(f)).filter((a) => a.sources.has(file));
  }

  private readonly positionsOf = new WeakMap<Analysis, Positions>();

  /** Offsets ↔ positions over the texts an analysis read. */
  positions(analysis: Analysis): Positions {
    let positions = this.positionsOf.get(analysis);
    if (!positions) {
      positions = new Positions(analysis.sources, (f) => this.uriOf(f));
      this.positionsOf.set(analysis, positions);
    }
    return positions;
  }

  forget(file: string): void {
    this.kept.delete(file);
  }
}

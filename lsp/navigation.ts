/**
 * Go to definition, find references and rename, over the index of every open program that reads the file: a
 * declaration in an imported file is found from the importer, and renaming it edits both.
 */
import { LSPErrorCodes, ResponseError, type Location, type Position, type Range, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver/node.js';
import { nameTokens, Identifier } from '../grammar/tokens.js';
import type { Symbol } from '../compiler/check/scope.js';
import type { Span } from '../compiler/index.js';
import { occurrenceAt, sameDeclaration, symbolOf, type Occurrence } from './occurrences.js';
import type { Workspace } from './workspace.js';
import type { Analysis } from './analysis.js';

/** Words the grammar reserves: a declaration named one could not be referred to. */
export const KEYWORDS: readonly string[] = nameTokens.filter((t) => t !== Identifier).map((t) => (t.PATTERN as RegExp).source);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Found {
  analysis: Analysis;
  occurrence: Occurrence | null;
}

function at(workspace: Workspace, file: string, position: Position): Found {
  const analysis = workspace.analysis(file);
  const offset = workspace.positions(analysis).offset(file, position);
  return { analysis, occurrence: occurrenceAt(analysis.occurrences.get(file), offset) };
}

export function definition(workspace: Workspace, file: string, position: Position): Location | null {
  const { analysis, occurrence } = at(workspace, file, position);
  if (!occurrence) return null;
  const positions = workspace.positions(analysis);
  const symbol = symbolOf(occurrence);
  if (symbol) return positions.location(symbol.decl.name?.span ?? symbol.decl.span);
  if (occurrence.kind === 'column' && occurrence.dataset) {
    const column = analysis.program?.datasets.get(occurrence.dataset)?.columns.get(occurrence.name);
    return column ? positions.location(column.span) : null;
  }
  if (occurrence.kind === 'import' && analysis.sources.has(occurrence.target)) return { uri: workspace.uriOf(occurrence.target), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  return null;
}

/** The declaration and every reference to it, in the program asked from and every open program reading its file, once each. */
function occurrencesOf(workspace: Workspace, from: Analysis, target: Symbol): { analysis: Analysis; span: Span }[] {
  const found = new Map<string, { analysis: Analysis; span: Span }>();
  for (const analysis of new Set([from, ...workspace.analysesReading(target.decl.span.file)])) {
    for (const occurrences of analysis.occurrences.values()) {
      for (const o of occurrences) {
        const symbol = symbolOf(o);
        if (!symbol || !sameDeclaration(symbol, target)) continue;
        const span = o.kind === 'reference' ? o.nameSpan : o.span;
        found.set(`${span.file}:${span.start}:${span.end}`, { analysis, span });
      }
    }
  }
  return [...found.values()];
}

export function references(workspace: Workspace, file: string, position: Position, includeDeclaration: boolean): Location[] {
  const { analysis, occurrence } = at(workspace, file, position);
  const target = symbolOf(occurrence);
  if (!target) return [];
  return occurrencesOf(workspace, analysis, target)
    .filter(({ span }) => includeDeclaration || !(target.decl.name && span.file === target.decl.name.span.file && span.start === target.decl.name.span.start))
    .map(({ analysis, span }) => workspace.positions(analysis).location(span));
}

/** The name a rename would replace at a position, or null where there is nothing to rename. */
export function prepareRename(workspace: Workspace, file: string, position: Position): Range | null {
  const { analysis, occurrence } = at(workspace, file, position);
  if (!symbolOf(occurrence)) return null;
  const span = occurrence!.kind === 'reference' ? occurrence!.nameSpan : occurrence!.span;
  return workspace.positions(analysis).range(span);
}

function refuse(message: string): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestFailed, message);
}

export function rename(workspace: Workspace, file: string, position: Position, newName: string): WorkspaceEdit | ResponseError<void> {
  const { analysis, occurrence } = at(workspace, file, position);
  const target = symbolOf(occurrence);
  if (!target || !target.decl.name) return refuse('there is no declared name here to rename');
  if (!NAME.test(newName)) return refuse(`\`${newName}\` is not a name: a name is a letter or \`_\`, then letters, digits or \`_\``);
  if (KEYWORDS.includes(newName)) return refuse(`\`${newName}\` is a keyword of the language, not a name`);
  const clash = analysis.program?.scope.get(target.kind, target.prefix + newName);
  if (clash && !sameDeclaration(clash, target)) {
    const declared = analysis.sources.get(clash.decl.span.file)?.position(clash.decl.span.start);
    return refuse(`a ${target.kind} named \`${newName}\` is already declared${declared ? ` (line ${declared.line})` : ''}`);
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const { analysis: reading, span } of occurrencesOf(workspace, analysis, target)) {
    const uri = workspace.uriOf(span.file);
    (changes[uri] ??= []).push({ range: workspace.positions(reading).range(span), newText: newName });
  }
  for (const edits of Object.values(changes)) edits.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { changes };
}

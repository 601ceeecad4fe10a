/**
 * Completion from the tokens before the cursor, so it works on text that does not parse (the user is typing). The
 * brackets still open say where the cursor is — a declaration's block, a constructor's arguments, a list or a record
 * given for some field — and the stdlib's types say what is expected there: the fields not yet written, the
 * constructors of a category, the named arguments of the call not yet given, declared names of a kind, columns.
 */
import { CompletionItemKind, MarkupKind, type CompletionItem } from 'vscode-languageserver/node.js';
import type { IToken, TokenType } from 'chevrotain';
import { lex } from '../grammar/parser.js';
import * as T from '../grammar/tokens.js';
import { constructorsOf, declarationFields, findConstructor, type Constructor, type DeclarationKind, type Param } from '../stdlib/index.js';
import type { Category, RefKind, Type } from '../stdlib/types.js';
import { paramSignature, signature } from '../compiler/render/stdlib-listing.js';
import { assignedType } from './occurrences.js';
import { constructorHover } from './hover.js';

/** What the program around the cursor declares, from its last analysis. */
export interface Names {
  /** Declared names of a kind visible in the file (`lib.trunk` for an aliased import's). */
  declared(kind: RefKind): string[];
  /** The columns of the dataset a declaration reads, or of every dataset when that is not known. */
  columns(declKind: DeclarationKind | null, declName: string | null): { name: string; type: string }[];
}

type Frame =
  | { t: 'block'; kind: DeclarationKind; field: string | null; written: Set<string> }
  | { t: 'call'; ctor: Constructor | null; arg: string | null; position: number; written: Set<string> }
  | { t: 'list'; of: Type | null; written: Set<string> }
  | { t: 'record'; type: Type | null; key: string | null; written: Set<string> }
  | { t: 'paren'; type: Type | null };

/** The declaration the cursor is in (its kind and name), and whether its `=` was read (`backbone x = …`). */
interface Declaring {
  kind: DeclarationKind | null;
  name: string | null;
  assigned: boolean;
}

const DECLARATION_KEYWORDS = new Map<TokenType, DeclarationKind>([
  [T.Dataset, 'dataset'], [T.Features, 'features'], [T.Backbone, 'backbone'], [T.Task, 'task'], [T.Share, 'share'], [T.Train, 'train'],
]);
const OPENERS = new Set<TokenType>([T.LBrace, T.LParen, T.LBracket]);
const CLOSERS = new Set<TokenType>([T.RBrace, T.RParen, T.RBracket]);
/** After these, a value comes next. */
const BEFORE_VALUE = new Set<TokenType>([T.Colon, T.Not, ...T.binaryOperators]);

const isName = (token: IToken | undefined): boolean => !!token && T.nameTokens.includes(token.tokenType);

/** The alternatives of an optional or a union, flattened. */
function alternatives(type: Type | null): Type[] {
  if (!type) return [];
  if (type.t === 'optional') return alternatives(type.of);
  if (type.t === 'union') return type.of.flatMap(alternatives);
  return [type];
}

function recordOf(type: Type | null): Extract<Type, { t: 'record' }> | null {
  const record = alternatives(type).find((t) => t.t === 'record');
  return record?.t === 'record' ? record : null;
}

function listElement(type: Type | null): Type | null {
  const list = alternatives(type).find((t) => t.t === 'list');
  return list?.t === 'list' ? list.of : null;
}

/** The constructor a call names, among the categories the place it stands in accepts. */
function calledConstructor(name: string, type: Type | null): Constructor | null {
  for (const alt of alternatives(type)) if (alt.t === 'ctor') return findConstructor(alt.category, name) ?? null;
  return null;
}

function slotType(frame: Frame): Type | null {
  switch (frame.t) {
    case 'block': return declarationFields[frame.kind].find((p) => p.name === frame.field)?.type ?? null;
    case 'call': {
      if (!frame.ctor) return null;
      if (frame.arg !== null) return frame.ctor.params.find((p) => p.name === frame.arg)?.type ?? null;
      return frame.ctor.rest?.type ?? frame.ctor.params[frame.position]?.type ?? null;
    }
    case 'list': return frame.of;
    case 'record': return recordOf(frame.type)?.of ?? null;
    case 'paren': return frame.type;
  }
}

/** Where the cursor is: the open brackets around it, the declaration, and the tokens just before it. */
interface Context {
  stack: Frame[];
  declaring: Declaring;
  /** The last token before the cursor and the word being typed (and before `lib.`, when a qualified name is typed). */
  previous: IToken | undefined;
  /** `lib` when the cursor is after `lib.`. */
  qualifier: string | null;
  /** The cursor's line starts here. */
  lineStart: number;
}

/** Whether a line, up to the cursor, leaves it inside a string or a line comment (strings end on their line). */
function inStringOrLineComment(line: string): boolean {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString && c === '\\') i++;
    else if (c === '"') inString = !inString;
    else if (!inString && (c === '#' || line.startsWith('//', i))) return true;
  }
  return inString;
}

function contextAt(text: string, offset: number): Context | null {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  if (inStringOrLineComment(text.slice(lineStart, offset))) return null;
  const tokens = lex(text).tokens;
  const before = tokens.filter((t) => t.startOffset < offset);
  const last = before.at(-1);
  if (last && last.endOffset! + 1 >= offset) {
    if (last.tokenType === T.NumberLiteral) return null;
    if (isName(last)) before.pop(); // the word being typed
  }
  // Inside a block comment: comments are skipped tokens, so look at the text after the last token; a `/*` never
  // closed is lexed as `/` and `*` (parse.ts reports it so), and the rest of the file is that comment.
  const gap = text.slice(before.length ? before.at(-1)!.endOffset! + 1 : 0, offset).replace(/\/\*[\s\S]*?\*\//g, '');
  if (gap.includes('/*') || before.some((t, i) => t.tokenType === T.Slash && before[i + 1]?.tokenType === T.Star && before[i + 1]!.startOffset === t.startOffset + 1)) return null;

  const stack: Frame[] = [];
  const declaring: Declaring = { kind: null, name: null, assigned: false };
  for (let i = 0; i < before.length; i++) {
    const token = before[i]!;
    const type = token.tokenType;
    const frame = stack.at(-1);
    const previous = before[i - 1];
    const declared = DECLARATION_KEYWORDS.get(type);
    // A declaration keyword before a name, `{` or `=` starts a declaration (as `parseItems` reads it), even when the
    // last one was left unclosed while typing.
    if (declared && (!frame || [T.Identifier, T.LBrace, T.Equals].includes(before[i + 1]?.tokenType as TokenType))) {
      stack.length = 0;
      Object.assign(declaring, { kind: declared, name: null, assigned: false });
    } else if (!frame && type === T.Identifier && previous && DECLARATION_KEYWORDS.has(previous.tokenType)) {
      declaring.name = token.image;
    } else if (!frame && type === T.Equals) {
      declaring.assigned = true;
    } else if (type === T.Colon && isName(previous) && frame) {
      const name = previous!.image;
      if (frame.t === 'block') frame.field = name;
      if (frame.t === 'call') frame.arg = name;
      if (frame.t === 'record') frame.key = name;
      if (frame.t !== 'paren' && frame.t !== 'list') frame.written.add(name);
    } else if (type === T.Comma && frame) {
      if (frame.t === 'call' && frame.arg === null) frame.position++;
      if (frame.t === 'call') frame.arg = null;
      if (frame.t === 'record') frame.key = null;
    } else if (type === T.Identifier && frame?.t === 'list') {
      frame.written.add(token.image);
    } else if (OPENERS.has(type)) {
      const outer = frame ? slotType(frame) : declaring.kind ? assignedType[declaring.kind] ?? null : null;
      if (type === T.LBrace && !frame && declaring.kind && !declaring.assigned) stack.push({ t: 'block', kind: declaring.kind, field: null, written: new Set() });
      else if (type === T.LBrace) stack.push({ t: 'record', type: outer, key: null, written: new Set() });
      else if (type === T.LBracket) stack.push({ t: 'list', of: listElement(outer), written: new Set() });
      else if (previous?.tokenType === T.Identifier) stack.push({ t: 'call', ctor: calledConstructor(previous.image, outer), arg: null, position: 0, written: new Set() });
      else stack.push({ t: 'paren', type: outer });
    } else if (CLOSERS.has(type)) {
      const closed = stack.pop();
      if (closed?.t === 'block') declaring.kind = null;
    }
  }
  let previous = before.at(-1);
  let qualifier: string | null = null;
  if (previous?.tokenType === T.Dot && before.at(-2)?.tokenType === T.Identifier) {
    qualifier = before.at(-2)!.image;
    previous = before.at(-3);
  }
  return { stack, declaring, previous, qualifier, lineStart };
}

export function completions(text: string, offset: number, names: Names): CompletionItem[] {
  const context = contextAt(text, offset);
  if (!context) return [];
  const { stack, declaring, previous, qualifier } = context;
  const frame = stack.at(-1);
  const afterValue = !!previous && BEFORE_VALUE.has(previous.tokenType);
  const startOfItem = !previous || previous.tokenType === T.Comma || OPENERS.has(previous.tokenType);
  const values = (type: Type | null, written: Set<string> = new Set()) => valueItems(type, names, declaring, qualifier, written);
  let items: CompletionItem[];
  if (!frame) {
    if (declaring.kind && declaring.assigned && previous?.tokenType === T.Equals) items = values(assignedType[declaring.kind] ?? null);
    else if (previous && DECLARATION_KEYWORDS.has(previous.tokenType)) items = [];
    else items = qualifier ? [] : keywordItems();
  } else if (frame.t === 'block') {
    const newLine = !previous || previous.endOffset! < context.lineStart;
    if (afterValue) items = values(slotType(frame));
    else if (startOfItem || (newLine && !qualifier)) items = paramItems(declarationFields[frame.kind], frame.written, CompletionItemKind.Field);
    else items = [];
  } else if (frame.t === 'call') {
    if (afterValue) items = values(slotType(frame));
    else if (startOfItem) items = [...(qualifier ? [] : paramItems(frame.ctor?.params ?? [], frame.written, CompletionItemKind.Property)), ...values(slotType(frame))];
    else items = [];
  } else if (frame.t === 'list') {
    items = startOfItem || afterValue ? values(frame.of, frame.written) : [];
  } else if (frame.t === 'record') {
    const keys = recordOf(frame.type)?.keys;
    if (afterValue) items = values(slotType(frame));
    else if (startOfItem && keys === 'task') items = values({ t: 'ref', to: 'task' }, frame.written);
    else if (startOfItem && keys === 'column') items = values({ t: 'column' }, frame.written);
    else items = [];
  } else {
    items = values(frame.type);
  }
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.label) && seen.add(item.label));
}

function keywordItems(): CompletionItem[] {
  return [...DECLARATION_KEYWORDS.values(), 'import'].map((word) => ({ label: word, kind: CompletionItemKind.Keyword }));
}

/** Fields of a block, or named arguments of a call, not yet written: inserted as `name: `. */
function paramItems(params: readonly Param[], written: Set<string>, kind: CompletionItemKind): CompletionItem[] {
  return params.filter((p) => !written.has(p.name)).map((p) => ({
    label: p.name, kind, detail: paramSignature(p), documentation: p.doc, insertText: `${p.name}: `,
  }));
}

function constructorItem(c: Constructor): CompletionItem {
  return {
    label: c.name, kind: CompletionItemKind.Function, detail: c.runs ? signature(c) : `${signature(c)} (does not run in this version)`,
    documentation: { kind: MarkupKind.Markdown, value: constructorHover(c) },
    // What this version runs first.
    sortText: `${c.runs ? 0 : 1}${c.name}`,
  };
}

function valueItems(type: Type | null, names: Names, declaring: Declaring, qualifier: string | null, written: Set<string>): CompletionItem[] {
  return alternatives(type).flatMap((alt): CompletionItem[] => {
    if (alt.t === 'ref') {
      const declared = names.declared(alt.to).filter((n) => !written.has(n));
      const visible = qualifier ? declared.filter((n) => n.startsWith(`${qualifier}.`)).map((n) => n.slice(qualifier.length + 1)) : declared;
      return visible.map((n) => ({ label: n, kind: CompletionItemKind.Reference, detail: alt.to }));
    }
    if (qualifier) return [];
    switch (alt.t) {
      case 'ctor': return constructorsOf(alt.category as Category).map(constructorItem);
      case 'enum': return alt.values.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember }));
      case 'bool': return ['true', 'false'].map((v) => ({ label: v, kind: CompletionItemKind.Keyword }));
      case 'column': case 'expr':
        return names.columns(declaring.kind, declaring.name).filter((c) => !written.has(c.name)).map((c) => ({ label: c.name, kind: CompletionItemKind.Variable, detail: `column: ${c.type}` }));
      default: return [];
    }
  });
}

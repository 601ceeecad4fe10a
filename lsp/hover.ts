/**
 * What hovering a name shows, as Markdown: a constructor's signature, doc, parameters and limits (what `mtl stdlib`
 * prints for it); a field's or named argument's type, default and doc; a declared name's kind and where it is
 * declared; a column's type and dataset.
 */
import * as path from 'node:path';
import { CATEGORY_TITLES, limitsNote, notRunNote, paramSignature, signature } from '../compiler/render/stdlib-listing.js';
import { declarationFields, type Constructor, type Param } from '../stdlib/index.js';
import type { CheckedProgram } from '../compiler/check/model.js';
import type { Sources } from '../compiler/diagnostics/source.js';
import type { Span } from '../compiler/index.js';
import type { Occurrence } from './occurrences.js';

const code = (text: string): string => `\`\`\`mtl\n${text}\n\`\`\``;

function paramLine(p: Param): string {
  return `- \`${paramSignature(p)}\`: ${p.doc}${limitsNote(p)}`;
}

export function constructorHover(c: Constructor): string {
  const notRun = notRunNote(c);
  return [
    code(signature(c)),
    `${CATEGORY_TITLES[c.category].replace(/s$/, '')}: ${c.doc}`,
    ...(notRun ? [notRun] : []),
    ...(c.rest || c.params.length ? [[...(c.rest ? [`- \`...${c.rest.name}\`: ${c.rest.doc}`] : []), ...c.params.map(paramLine)].join('\n')] : []),
  ].join('\n\n');
}

function paramHover(p: Param, of: string): string {
  return [code(paramSignature(p)), `${of}: ${p.doc}${limitsNote(p)}`].join('\n\n');
}

/** A file named relative to the entry's folder. */
const fileName = (file: string, entry: string): string => path.relative(path.dirname(entry), file) || path.basename(file);

/** `census.mtl:33:6`. */
function where(span: Span, sources: Sources, entry: string): string {
  const position = sources.get(span.file)?.position(span.start);
  return position ? `${fileName(span.file, entry)}:${position.line}:${position.column}` : fileName(span.file, entry);
}

export function hoverText(occurrence: Occurrence, program: CheckedProgram | null, sources: Sources, entry: string): string | null {
  switch (occurrence.kind) {
    case 'constructor': return constructorHover(occurrence.ctor);
    case 'argument': return paramHover(occurrence.param, `argument of \`${occurrence.ctor.name}\``);
    case 'field': return paramHover(occurrence.param, `field of a ${occurrence.declKind}`);
    case 'keyword': {
      const fields = declarationFields[occurrence.declKind];
      if (!fields.length) return code(`${occurrence.declKind} NAME = <${occurrence.declKind === 'share' ? 'sharing scheme' : 'backbone'}>`);
      return [code(`${occurrence.declKind} NAME { ${fields.map((f) => f.name).join(', ')} }`), fields.map(paramLine).join('\n')].join('\n\n');
    }
    case 'declaration':
    case 'reference': {
      const symbol = occurrence.symbol;
      if (!symbol) return occurrence.kind === 'reference' ? `unknown ${occurrence.to} \`${occurrence.written}\`` : null;
      const summary = symbol.decl.form === 'assign' ? ` = ${sources.get(symbol.decl.body.span.file)?.text.slice(symbol.decl.body.span.start, symbol.decl.body.span.end) ?? '…'}` : '';
      return [code(`${symbol.kind} ${symbol.name}${summary.length > 300 ? ' = …' : summary}`), `declared at ${where(symbol.decl.name?.span ?? symbol.decl.span, sources, entry)}`].join('\n\n');
    }
    case 'column': {
      const dataset = occurrence.dataset ? program?.datasets.get(occurrence.dataset) : undefined;
      const column = dataset?.columns.get(occurrence.name);
      if (!dataset) return code(`column ${occurrence.name}`);
      if (!column) return `dataset \`${dataset.name}\` has no column \`${occurrence.name}\``;
      return [code(`${occurrence.name}: ${column.type}`), `column of dataset \`${dataset.name}\`, declared at ${where(column.span, sources, entry)}`].join('\n\n');
    }
    case 'import': return `imports \`${fileName(occurrence.target, entry)}\``;
  }
}

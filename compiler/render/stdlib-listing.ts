/**
 * `mtl stdlib`: every constructor and declaration field, grouped by category, with signatures, docs, limits, and
 * whether this version's runtime runs it (the entry's `runs`, the flag rule runs-today reads).
 */
import { constructors, declarationFields, describeLimits, isOf, type Constructor, type Param } from '../../stdlib/index.js';
import type { Category } from '../../stdlib/types.js';
import { typeSignature } from '../../stdlib/types.js';

/** `name: type = default`, as a parameter reads in a signature. */
export function paramSignature(p: Param): string {
  return `${p.name}: ${typeSignature(p.type)}${p.default !== undefined ? ` = ${p.default}` : ''}`;
}

export function signature(c: Constructor): string {
  const parts = [...(c.rest ? [`...${c.rest.name}: ${typeSignature(c.rest.type)}`] : []), ...c.params.map(paramSignature)];
  return `${c.name}(${parts.join(', ')})`;
}

/** What a constructor's line says when this version does not run it. */
export function notRunNote(c: Constructor): string | null {
  return c.runs ? null : `[does not run in this version: ${c.notRun}]`;
}

/** An aggregation without a form on the shared representation takes `on: parameters` only: its line says so. */
function representationNote(c: Constructor): string | null {
  return isOf(c, 'aggregation') && 'none' in c.representation ? `[on: parameters only: ${c.representation.none}]` : null;
}

const notes = (c: Constructor): string => [notRunNote(c), representationNote(c)].filter((n) => n !== null).map((n) => `  ${n}`).join('');

export const CATEGORY_TITLES: Record<Category, string> = {
  column_type: 'column types', split: 'splits', transform: 'feature transforms', backbone: 'backbones', sharing: 'sharing schemes',
  head: 'heads', loss: 'losses', metric: 'metrics', optimizer: 'optimizers', schedule: 'learning-rate schedules', sampling: 'task sampling',
  phase: 'sampling phases', weighting: 'loss weighting', aggregation: 'gradient aggregation', stage: 'curriculum stages', selection: 'model selection',
  acceptance: 'acceptance policies',
};

/** ` (between 0 and 1)`, or '' for a parameter without limits. */
export const limitsNote = (p: Param): string => {
  const range = p.limits ? describeLimits(p.limits) : '';
  return range ? ` (${range})` : '';
};

export function stdlibListing(): string {
  const out: string[] = ['mtl standard library', ''];
  out.push('declarations');
  for (const [kind, fields] of Object.entries(declarationFields)) {
    if (kind === 'backbone') out.push(`  backbone NAME = <backbone>`);
    else if (kind === 'share') out.push(`  share NAME = <sharing scheme>`);
    else out.push(`  ${kind} NAME { ${fields.map((f) => f.name).join(', ')} }`);
    for (const f of fields) out.push(`      ${paramSignature(f).padEnd(56)} ${f.doc}${limitsNote(f)}`);
  }
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    out.push('', title);
    for (const c of constructors.filter((x) => x.category === category)) {
      out.push(`  ${signature(c).padEnd(60)} ${c.doc}${notes(c)}`);
    }
  }
  return out.join('\n') + '\n';
}

export function stdlibJson(): unknown {
  return {
    declarations: declarationFields,
    constructors: constructors.map((c) => ({
      name: c.name, category: c.category, signature: signature(c), doc: c.doc, runs: c.runs, ...(c.runs ? {} : { notRun: c.notRun }),
      ...(isOf(c, 'aggregation') ? { representation: c.representation } : {}),
      params: c.params,
    })),
  };
}

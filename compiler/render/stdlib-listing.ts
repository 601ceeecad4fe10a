/** `mtl stdlib`: every constructor and declaration field, grouped by category, with signatures and docs. */
import { constructors, declarationFields, type Constructor, type Param } from '../../stdlib/index.js';
import { typeSignature } from '../../stdlib/types.js';

function param(p: Param): string {
  return `${p.name}: ${typeSignature(p.type)}${p.default !== undefined ? ` = ${p.default}` : ''}`;
}

export function signature(c: Constructor): string {
  const parts = [...(c.rest ? [`...${c.rest.name}: ${typeSignature(c.rest.type)}`] : []), ...c.params.map(param)];
  return `${c.name}(${parts.join(', ')})`;
}

const CATEGORY_TITLES: Record<string, string> = {
  column_type: 'column types', split: 'splits', transform: 'feature transforms', backbone: 'backbones', sharing: 'sharing schemes',
  head: 'heads', loss: 'losses', metric: 'metrics', optimizer: 'optimizers', schedule: 'learning-rate schedules', sampling: 'task sampling',
  phase: 'sampling phases', weighting: 'loss weighting', aggregation: 'gradient aggregation', stage: 'curriculum stages', selection: 'model selection',
};

export function stdlibListing(): string {
  const out: string[] = ['mtl standard library', ''];
  out.push('declarations');
  for (const [kind, fields] of Object.entries(declarationFields)) {
    if (kind === 'backbone') out.push(`  backbone NAME = <backbone>`);
    else if (kind === 'share') out.push(`  share NAME = <sharing scheme>`);
    else out.push(`  ${kind} NAME { ${fields.map((f) => f.name).join(', ')} }`);
    for (const f of fields) out.push(`      ${param(f).padEnd(56)} ${f.doc}`);
  }
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    out.push('', title);
    for (const c of constructors.filter((x) => x.category === category)) {
      out.push(`  ${signature(c).padEnd(60)} ${c.doc}${c.runs === false ? '  [checks and compiles; the runtime does not run it yet]' : ''}`);
    }
  }
  return out.join('\n') + '\n';
}

export function stdlibJson(): unknown {
  return {
    declarations: declarationFields,
    constructors: constructors.map((c) => ({ name: c.name, category: c.category, signature: signature(c), doc: c.doc, runs: c.runs !== false })),
  };
}

/** `mtl render`: the entry file's declarations with every default written out (comments are not kept). */
import type { CheckedProgram } from '../check/model.js';
import { declarationFields } from '../../stdlib/index.js';
import { printValue } from './print-source.js';

export function renderProgram(program: CheckedProgram): string {
  const out: string[] = [`// ${program.entry}, with every default written out by \`mtl render\``];
  const own = program.scope.symbols.filter((s) => s.decl.span.file === program.entry).sort((a, b) => a.decl.span.start - b.decl.span.start);
  // The imports as written: the declarations they bring in keep their own defaults in their own files.
  for (const imp of program.imports) if (imp.path) out.push(`import ${JSON.stringify(imp.path)}${imp.alias ? ` as ${imp.alias.text}` : ''}`);
  for (const symbol of own) {
    const name = symbol.name ? ` ${symbol.name}` : '';
    if (symbol.kind === 'backbone' || symbol.kind === 'share') {
      out.push('', `${symbol.kind}${name} = ${printValue(symbol.fields.value ?? { v: 'error', span: symbol.decl.span })}`);
      continue;
    }
    out.push('', `${symbol.kind}${name} {`);
    for (const param of declarationFields[symbol.kind]) {
      const value = symbol.fields[param.name];
      if (!value || value.v === 'absent') continue;
      out.push(`  ${param.name}: ${printValue(value, '  ')}`);
    }
    out.push('}');
  }
  if (!program.trainSymbol) {
    out.push('', 'train {');
    for (const param of declarationFields.train) {
      const value = program.train[param.name];
      if (value && value.v !== 'absent') out.push(`  ${param.name}: ${printValue(value, '  ')}`);
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

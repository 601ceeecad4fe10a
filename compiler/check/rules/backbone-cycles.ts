/** A backbone may not contain itself, directly or through other named backbones. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';
import { walkValue } from '../walk.js';

/** The backbones a value names, in order. */
function references(value: Value | undefined): { name: string; span: Value['span'] }[] {
  const out: { name: string; span: Value['span'] }[] = [];
  walkValue(value, (v) => {
    if (v.v === 'ref' && v.to === 'backbone') out.push({ name: v.name, span: v.span });
  });
  return out;
}

export const backboneCycles: Rule = {
  name: 'backbone-cycles',
  run(program, ctx) {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]) => {
      state.set(name, 'visiting');
      for (const ref of references(program.backbones.get(name)?.fields.value)) {
        if (state.get(ref.name) === 'visiting') {
          const cycle = [...path.slice(path.indexOf(ref.name)), name, ref.name];
          ctx.report({
            code: Codes.BackboneCycle, message: `backbone \`${ref.name}\` contains itself: ${cycle.map((c) => `\`${c}\``).join(' → ')}`, span: ref.span,
            label: 'this reference closes the cycle', help: 'a backbone is built from parts declared without it',
          });
        } else if (!state.has(ref.name)) visit(ref.name, [...path, name]);
      }
      state.set(name, 'done');
    };
    for (const name of program.backbones.keys()) if (!state.has(name)) visit(name, []);
  },
};

/**
 * A `moe` layer routes each row to `top_k` of its `experts`, so `top_k` is at most `experts`; and each expert is dense
 * layers over vectors written in place (`mlp(...)`, or a `sequential` of them), the layers the runtime copies per expert.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Value } from '../values.js';
import { walkProgram } from '../walk.js';
import { argsOf, readable } from '../args.js';
import { isOf } from '../../../stdlib/index.js';
import type { DiagnosticsContext } from '../context.js';

export const moeExperts: Rule = {
  name: 'moe-experts',
  run(program, ctx) {
    walkProgram(program, (value) => {
      if (value.v !== 'call' || value.ctor.name !== 'moe' || !isOf(value.ctor, 'backbone')) return;
      checkExpert(value.args.expert, ctx);
      const topK = value.args.top_k;
      const experts = value.args.experts;
      if (topK?.v === 'number' && experts?.v === 'number' && topK.n > experts.n) {
        ctx.report({
          code: Codes.ValueOutOfRange, message: `\`top_k\` must be at most \`experts\` (${experts.n}), found ${topK.n}`,
          span: topK.span, label: `more than the ${experts.n} experts`,
          ...(experts.implicit ? {} : { secondary: [{ span: experts.span, message: `\`experts\` is ${experts.n}` }] }),
          help: `each row goes through \`top_k\` different experts: lower \`top_k\` or add experts${experts.implicit ? ` (\`experts\` is ${experts.n} by default)` : ''}`,
        });
      }
    });
  },
};

function checkExpert(value: Value | undefined, ctx: DiagnosticsContext): void {
  if (value?.v !== 'call' || !isOf(value.ctor, 'backbone')) return;
  const entry = value.ctor;
  if (entry.form === 'parts') {
    for (const part of value.rest) {
      if (part.v === 'ref') {
        ctx.report({
          code: Codes.MoeExpert, message: `a \`moe\` expert is written in place, but this part names the backbone \`${part.name}\``,
          span: part.span, label: 'a named backbone', help: 'write the expert\'s layers here, e.g. `expert: mlp(units: [32])`',
        });
      } else checkExpert(part, ctx);
    }
    return;
  }
  const layers = readable(() => entry.layers(argsOf(value)));
  const other = layers?.find((l) => l.layer.kind !== 'dense');
  if (other) {
    ctx.report({
      code: Codes.MoeExpert, message: `a \`moe\` expert is dense layers over vectors, but \`${entry.name}\` makes \`${other.layer.kind}\` layers`,
      span: value.span, label: `makes \`${other.layer.kind}\` layers`, help: 'make the expert an `mlp(...)`; put other layers before the `moe` in a `sequential`',
    });
  }
}

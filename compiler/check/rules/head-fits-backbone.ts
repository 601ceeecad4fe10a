/** Data flows: features fit the backbone's first part, each part the next, the tower the backbone, the head what reaches it. */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { featuresKind, headKind, taskBackbone, type TaskView, type CheckedProgram } from '../model.js';
import { backboneOutput, backboneDepth, backboneParts, flowThrough, kindWords, partDepth, type BackbonePart, type FlowError } from '../backbone.js';
import { heads, type ValueKind } from '../../../stdlib/index.js';
import type { DiagnosticsContext } from '../context.js';
import type { Value } from '../values.js';
import { argsOf, readable } from '../args.js';

const headHelp: Record<ValueKind, string> = {
  vector: 'pool the sequence first, e.g. `sequential(encoder, pool(op: mean))`, or use a tagging head',
  sequence: 'a per-token head needs a sequence: token features through `lstm(...)` or `transformer_encoder(...)`, without pooling',
  image: 'a dense head needs a feature map: use `cnn(..., flatten: false)`',
  ids: '',
};

function reportFlow(ctx: DiagnosticsContext, e: FlowError, where: string): void {
  ctx.report({
    code: Codes.BackboneInputMismatch,
    message: `\`${e.part}\` cannot read ${kindWords[e.found]}`,
    span: e.span,
    label: `${where} gives it ${kindWords[e.found]}`,
    help: `\`${e.part}\` reads ${e.expected.map((k) => kindWords[k]).join(' or ')}`,
  });
}

/** The kind reaching a task's head, following features → (depth-cut) backbone → tower. Null when unknown or already reported. */
function kindAtHead(program: CheckedProgram, task: TaskView, ctx: DiagnosticsContext, reported: Set<Value>): ValueKind | null {
  const features = task.features ? program.features.get(task.features) : undefined;
  if (!features) return null;
  // A backbone or tower that did not elaborate was already reported: judging the flow without it would cascade.
  if (task.fields.backbone?.v === 'error' || task.fields.tower?.v === 'error' || task.share?.backbone?.v === 'error') return null;
  let kind = featuresKind(features);
  if (!kind) return null;
  const backbone = taskBackbone(task);
  const depthValue = task.fields.depth;
  if (backbone) {
    let parts = backboneParts(backbone, program);
    if (depthValue?.v === 'number') {
      // A negative depth is value-limits' to report; a depth not known (a part's arguments did not elaborate)
      // leaves nothing to judge.
      const depth = backboneDepth(backbone, program);
      if (depthValue.n < 0 || depth === null) return null;
      if (depthValue.n >= depth) {
        ctx.report({
          code: Codes.DepthOutOfRange, message: `depth ${depthValue.n} is outside the backbone's layers`, span: depthValue.span,
          label: `the backbone has ${depth} layer${depth === 1 ? '' : 's'}`, help: depth ? `use a depth from 0 to ${depth - 1}` : 'this backbone has no layers to attach to',
        });
        return null;
      }
      // Keep the parts up to the chosen layer.
      let remaining = depthValue.n + 1;
      const kept: BackbonePart[] = [];
      for (const part of parts) {
        if (remaining <= 0) break;
        kept.push(part);
        remaining -= partDepth(part) ?? 0;
      }
      parts = kept;
    }
    const out = flowThrough(parts, kind);
    if (out.error) {
      if (!reported.has(backbone)) reportFlow(ctx, out.error, `features \`${features.name}\``);
      reported.add(backbone);
      return null;
    }
    kind = out.kind;
  } else if (depthValue?.v === 'number') {
    ctx.report({ code: Codes.DepthWithoutBackbone, message: `task \`${task.name}\` sets a depth but has no backbone`, span: depthValue.span, label: 'nothing to attach to', help: 'add the task to a `share` or give it `backbone:`' });
    return null;
  }
  const tower = task.fields.tower;
  if (kind && tower && tower.v !== 'absent') {
    const out = backboneOutput(tower, kind, program);
    if (out.error) {
      reportFlow(ctx, out.error, 'the backbone');
      return null;
    }
    kind = out.kind;
  }
  return kind;
}

/** The first part of a backbone that pools a sequence to a vector (by its entry's `flow`), for the help. */
const poolingPart = (backbone: Value, program: CheckedProgram): BackbonePart | undefined =>
  backboneParts(backbone, program).find((part) => readable(() => part.entry.flow(argsOf(part.call)))?.sequence === 'vector');

export const headFitsBackbone: Rule = {
  name: 'head-fits-backbone',
  run(program, ctx) {
    const reported = new Set<Value>();
    for (const task of program.tasks.values()) {
      const kind = headKind(task);
      if (!kind || !task.head) continue;
      const reaching = kindAtHead(program, task, ctx, reported);
      const needs = heads[kind].reads;
      if (!reaching || reaching === needs) continue;
      const backbone = taskBackbone(task);
      const pooling = needs === 'sequence' && backbone ? poolingPart(backbone, program) : undefined;
      ctx.report({
        code: Codes.HeadBackboneMismatch,
        message: `a ${kind} head needs ${kindWords[needs]}, but task \`${task.name}\` gives it ${kindWords[reaching]}`,
        span: task.head.span,
        label: `needs ${kindWords[needs]}`,
        secondary: backbone ? [{ span: backbone.span, message: `produces ${kindWords[reaching]}` }] : [],
        help: pooling
          ? `a per-token head needs the sequence before pooling: attach it at a depth before \`${pooling.entry.name}\`, or drop the pooling`
          : headHelp[needs],
      });
    }
  },
};

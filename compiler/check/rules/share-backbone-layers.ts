/**
 * A share whose scheme works on some kinds of layer only (`backboneLayers`: mtan attends over dense and convolution
 * blocks) has a backbone made of them; the first part of it with another kind of layer is reported.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import { backboneParts, partLayers } from '../backbone.js';

export const shareBackboneLayers: Rule = {
  name: 'share-backbone-layers',
  run(program, ctx) {
    for (const share of program.shares.values()) {
      const allowed = share.entry?.backboneLayers;
      if (!allowed || !share.backbone || !share.call) continue;
      for (const part of backboneParts(share.backbone, program)) {
        const other = partLayers(part)?.find((l) => !allowed.kinds.includes(l.layer.kind));
        if (!other) continue;
        const kind = other.layer.kind;
        ctx.report({
          code: Codes.ShareBackboneLayers, message: `\`${share.scheme}\` ${allowed.says}, but \`${part.entry.name}\` in share \`${share.name}\`'s backbone has ${kind} layers`,
          span: part.call.span, label: `has ${kind} layers`, secondary: [{ span: share.call.span, message: `share \`${share.name}\` uses \`${share.scheme}\`` }],
          help: `\`${share.scheme}\` runs over backbones of ${allowed.backbones}; share these tasks with another scheme, or give the share such a backbone`,
        });
        break;
      }
    }
  },
};

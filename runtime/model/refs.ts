/** What a module or head reads: an input, a module's output, or the output of one of its layers. */
import type { Job } from '../../compiler/job/job.js';
import { UserError } from '../errors.js';

export type SourceRef =
  | { kind: 'input'; input: string }
  /** The output of layer `layer` (0-based) of `module`; a bare module id means its last layer. */
  | { kind: 'layer'; module: string; layer: number };

export function parseRef(job: Job, ref: string, readBy: string): SourceRef {
  if (job.inputs.some((input) => input.id === ref)) return { kind: 'input', input: ref };
  const whole = job.modules.find((m) => m.id === ref);
  if (whole) return { kind: 'layer', module: whole.id, layer: whole.layers.length - 1 };
  // `${moduleId}/${layerIndex}`: module ids may themselves contain '/', so split at the last one.
  const slash = ref.lastIndexOf('/');
  if (slash > 0) {
    const module = job.modules.find((m) => m.id === ref.slice(0, slash));
    const layer = Number(ref.slice(slash + 1));
    if (module && Number.isInteger(layer) && layer >= 0 && layer < module.layers.length) {
      return { kind: 'layer', module: module.id, layer };
    }
  }
  throw new UserError(`${readBy} reads '${ref}', which is neither an input, a module, nor a module layer of this job`);
}

/** The key under which a source's output is memoized during one forward pass. */
export function refKey(ref: SourceRef): string {
  return ref.kind === 'input' ? `input:${ref.input}` : `layer:${ref.module}/${ref.layer}`;
}

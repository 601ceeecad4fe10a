/** What a module or head reads: an input, or the output of one layer of a module (the job's SourceRef, tagged). */
import type { SourceRef as JobSourceRef } from '../../job/job.js';
import type { ModelJob } from './model-job.js';
import { UserError } from '../errors.js';

export type SourceRef =
  | { kind: 'input'; input: string }
  /** The output of layer `layer` (0-based) of `module`. */
  | { kind: 'layer'; module: string; layer: number };

/** The job's reference, tagged; parseJob has checked that it resolves, so a miss here is a bug or a hand-made job. */
export function sourceRef(job: ModelJob, ref: JobSourceRef, readBy: string): SourceRef {
  if ('input' in ref) {
    if (!job.inputs.some((i) => i.id === ref.input)) throw new UserError(`${readBy} reads input '${ref.input}', which the job does not have`);
    return { kind: 'input', input: ref.input };
  }
  const module = job.modules.find((m) => m.id === ref.module);
  if (!module || ref.layer < 0 || ref.layer >= module.layers.length) {
    throw new UserError(`${readBy} reads layer ${ref.layer} of module '${ref.module}', which the job does not have`);
  }
  return { kind: 'layer', module: ref.module, layer: ref.layer };
}

/** The last layer of a module (what a mixture reads of each expert, and of its gate). */
export function moduleOutput(job: ModelJob, id: string, readBy: string): SourceRef {
  const module = job.modules.find((m) => m.id === id);
  if (!module) throw new UserError(`${readBy} reads module '${id}', which the job does not have`);
  return { kind: 'layer', module: id, layer: module.layers.length - 1 };
}

/** The key under which a source's output is memoized during one forward pass. */
export function refKey(ref: SourceRef): string {
  return ref.kind === 'input' ? `input:${ref.input}` : `layer:${ref.module}/${ref.layer}`;
}

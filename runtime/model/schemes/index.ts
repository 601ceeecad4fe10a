/**
 * Sharing schemes, by `SharingPlan.kind`. Every kind of the job has an entry, so a new kind does not compile until it
 * has one: an implementation (one file here), or `notRunnable` until the runtime runs it.
 */
import type { SharingKind } from '../../../job/job.js';
import type { NotRunnable } from '../../not-runnable.js';
import { adapters } from './adapters.js';
import { cgc } from './cgc.js';
import { crossStitch } from './cross-stitch.js';
import { hard } from './hard.js';
import { lora } from './lora.js';
import { mmoe } from './mmoe.js';
import { ple } from './ple.js';
import { mtan } from './mtan.js';
import type { SharingScheme } from './scheme.js';
import { soft } from './soft.js';

export const sharingSchemes = {
  hard,
  cross_stitch: crossStitch,
  adapters,
  soft,
  mmoe,
  cgc,
  ple,
  lora,
  mtan,
} satisfies Record<SharingKind, SharingScheme | NotRunnable>;

/** The scheme of a kind that assertRunnable let through. */
export function sharingScheme(kind: SharingKind): SharingScheme {
  const entry: SharingScheme | NotRunnable = sharingSchemes[kind];
  if (!entry.runnable) throw new Error(`${kind} sharing reached the model builder; assertRunnable refuses it`);
  return entry;
}

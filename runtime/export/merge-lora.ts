/**
 * LoRA merged for inference (`mtl export --merge-lora`): each module with lora sharing becomes one plain module per
 * task of its share, `${module}.${task}`, whose dense kernels are W + (alpha / rank) · A · B of that task (the biases
 * and any other parameters copied), and what the task read of the shared module it reads of its own. The result has
 * no LoRA left: hard-shared dense layers, which serve as any others (and as a tf.LayersModel). Each task's outputs
 * are the unmerged model's up to float rounding (test/runtime/lora.test.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModulePlan, SourceRef } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { ModelJob } from '../model/model-job.js';
import { loraName, mergedKernel } from '../model/schemes/lora.js';

/** Parameters by their saved names. */
export type NamedWeights = ReadonlyMap<string, tf.Tensor>;

/**
 * `job` and its weights with every lora module merged per task. The tensors it returns are either `weights`' own
 * (what it keeps as it was) or new ones (merged kernels); the caller disposes both maps' tensors once.
 */
export function mergeLora<J extends ModelJob>(job: J, weights: NamedWeights): { job: J; weights: Map<string, tf.Tensor>; merged: string[] } {
  const loraModules = job.modules.filter((m) => m.sharing.kind === 'lora');
  if (loraModules.length === 0) throw new UserError('the model has no lora share to merge: --merge-lora merges the per-task updates of a `lora(...)` share');
  const live = new Set(job.tasks.map((t) => t.name));
  let modules: ModulePlan[] = [...job.modules];
  let tasks = [...job.tasks];
  const out = new Map(weights);
  const merged: string[] = [];
  for (const shared of loraModules) {
    if (shared.sharing.kind !== 'lora') continue;
    const { rank, alpha } = shared.sharing;
    const own = shared.sharing.tasks.filter((t) => live.has(t));
    const copies = own.map((task): ModulePlan => ({ ...shared, id: `${shared.id}.${task}`, tasks: [task], sharing: { kind: 'hard' } }));
    for (const copy of copies) {
      if (modules.some((m) => m.id === copy.id)) throw new UserError(`cannot merge lora module '${shared.id}': the job already has a module '${copy.id}'`);
    }
    // Whatever reads the shared module for one task alone reads that task's copy; a module two tasks read cannot.
    const readers = modules.filter((m) => m.from.some((ref) => readsModule(ref, shared.id)));
    for (const reader of readers) {
      if (reader.tasks.length !== 1 || !own.includes(reader.tasks[0]!)) {
        throw new UserError(`cannot merge lora module '${shared.id}': module '${reader.id}' reads it for tasks ${reader.tasks.join(', ')}, and a merged layer serves one task`);
      }
    }
    const retarget = (ref: SourceRef, task: string): SourceRef => (readsModule(ref, shared.id) ? { ...ref, module: `${shared.id}.${task}` } : ref);
    modules = modules.flatMap((m) => (m.id === shared.id ? copies : [{ ...m, from: m.from.map((ref) => retarget(ref, m.tasks[0]!)) }]));
    tasks = tasks.map((t) => ({ ...t, from: retarget(t.from, t.name) }));
    for (const task of own) {
      shared.layers.forEach((layer, index) => {
        for (const [name, tensor] of weights) {
          const prefix = `${shared.id}/${index}/`;
          if (!name.startsWith(prefix)) continue;
          const suffix = name.slice(prefix.length);
          const update = layer.kind === 'dense' && suffix === 'kernel' ? loraUpdate(weights, loraName({ module: shared.id, layer: index, task }), alpha / rank) : null;
          out.set(`${shared.id}.${task}/${index}/${suffix}`, update ? mergedKernel(tensor as tf.Tensor2D, update) : tensor);
        }
      });
      merged.push(`${shared.id}.${task}`);
    }
    for (const name of weights.keys()) if (name.startsWith(`${shared.id}/`)) out.delete(name);
  }
  return { job: { ...job, modules, tasks }, weights: out, merged };
}

function readsModule(ref: SourceRef, module: string): boolean {
  return 'module' in ref && ref.module === module;
}

function loraUpdate(weights: NamedWeights, name: string, scale: number): { a: tf.Tensor2D; b: tf.Tensor2D; scale: number } {
  const a = weights.get(`${name}/a`);
  const b = weights.get(`${name}/b`);
  if (!a || !b) throw new UserError(`the weights have no ${name}/a and ${name}/b to merge`);
  return { a: a as tf.Tensor2D, b: b as tf.Tensor2D, scale };
}

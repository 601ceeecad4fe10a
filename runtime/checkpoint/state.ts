/**
 * What a stateful part of training (a weighting, an aggregator, the optimizer, the model's dropout stream, the data
 * streams, model selection) carries from one step to the next, as data a checkpoint can hold. Each part says how it
 * saves and restores it; a part that carries nothing says why (`stateless`), so a new weighting or aggregator does not
 * compile until it has decided.
 */

/**
 * JSON values, plus float32 arrays anywhere among them (the checkpoint stores those in binary). Numbers are kept
 * exactly: a checkpoint writes doubles as JSON, whose shortest form reads back as the same double, and writes NaN and
 * ±Infinity by name.
 */
export type StateValue = null | boolean | number | string | Float32Array | readonly StateValue[] | { readonly [key: string]: StateValue };

export interface Checkpointed {
  /** What the part needs to continue exactly as if it had not stopped; read between steps. */
  save(): StateValue;
  /** Takes back what `save` gave, on a part created afresh from the same job. */
  restore(state: StateValue): void;
}

/** A part with nothing to carry between steps; `why` says so where the part is defined. */
export function stateless(why: string): Checkpointed & { readonly why: string } {
  return { why, save: () => null, restore: () => {} };
}

/** A restored state's field, as the part saved it (a checkpoint is checked whole by its checksum, so a part trusts its own data). */
export function field<T = StateValue>(state: StateValue, key: string): T {
  if (state === null || typeof state !== 'object' || state instanceof Float32Array || Array.isArray(state) || !(key in state)) {
    throw new Error(`a checkpoint's state lacks '${key}': was it written by another version of mtl?`);
  }
  return (state as Record<string, StateValue>)[key] as T;
}

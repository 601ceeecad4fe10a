/**
 * The model's parameters as they are created: named tf.Variables in build order, each with its owner. Initial values
 * are seeded per name (Random.fork), so they do not depend on creation order; the order is that of saved weights.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random.js';
import { glorotUniform } from './init.js';
import type { Param, ParamOwner } from './types.js';

export interface ParamStore {
  /** In build order. */
  readonly params: Param[];
  add(name: string, owner: ParamOwner, values: Float32Array, shape: number[]): tf.Variable;
  /** Glorot-uniform initial values for a [fanIn, fanOut] parameter, from the stream named after it. */
  glorot(name: string, fanIn: number, fanOut: number): Float32Array;
}

export interface DenseParams {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

export function paramStore(random: Random): ParamStore {
  const params: Param[] = [];
  const names = new Set<string>();
  return {
    params,
    add(name, owner, values, shape) {
      if (names.has(name)) throw new Error(`two parameters of the model are named '${name}'`);
      names.add(name);
      // tf variable names must be unique in the process (two models may coexist), so let tf name
      // them and keep the stable name beside.
      // tidy frees the initial tensor; the variable keeps its own reference to the data.
      const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
      params.push({ name, variable, owner });
      return variable;
    },
    glorot(name, fanIn, fanOut) {
      const stream = random.fork(name);
      return glorotUniform(fanIn, fanOut, () => stream.next());
    },
  };
}

/** `${prefix}/kernel` [fanIn, units], Glorot-uniform, and `${prefix}/bias` [units], zeros: a dense layer's or a head's. */
export function denseParams(store: ParamStore, prefix: string, owner: ParamOwner, fanIn: number, units: number): DenseParams {
  return {
    kernel: store.add(`${prefix}/kernel`, owner, store.glorot(`${prefix}/kernel`, fanIn, units), [fanIn, units]) as tf.Variable<tf.Rank.R2>,
    bias: store.add(`${prefix}/bias`, owner, new Float32Array(units), [units]) as tf.Variable<tf.Rank.R1>,
  };
}

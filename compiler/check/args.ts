/**
 * The stdlib's `Args` over elaborated values: how entries read a call's arguments (or a declaration's fields) when
 * they lower it. Elaboration fills every default, and compiling stops on errors, so a read that finds no value of
 * the parameter's type is a compiler bug: it throws `UnreadableArgument`. Checks may read through the same accessor
 * before errors are ruled out; `readable` turns such a throw into "not known" (null): the problem is already reported.
 */
import { isOf, type Args, type Plans, type PlannedCategory } from '../../stdlib/index.js';
import type { LayerPlan } from '../../job/job.js';
import type { Value, ValueOf } from './values.js';
import { recordOf } from '../util/record-of.js';
import { compareText } from '../../shared/compare.js';

export class UnreadableArgument extends Error {}

/** What `read` returns, or null when an argument it reads was not elaborated (an error already reported). */
export function readable<T>(read: () => T): T | null {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnreadableArgument) return null;
    throw error;
  }
}

/** A constructor call's arguments. */
export function argsOf(call: ValueOf<'call'>): Args {
  return accessor(call.args, `\`${call.ctor.name}\``);
}

/** A declaration's fields (the `train` block's, a task's), read like arguments. */
export function fieldsOf(fields: Record<string, Value>, owner: string): Args {
  return accessor(fields, owner);
}

/** Lowers a call of a category whose plan needs nothing from the rest of the program. */
export function planOf<C extends PlannedCategory>(value: Value | undefined, category: C, where = category as string): Plans[C] {
  if (value?.v !== 'call' || value.ctor.category !== category) throw new UnreadableArgument(`${where}: expected a ${category} call, found ${value?.v ?? 'nothing'}`);
  // Every entry of a planned category has `plan(a)` returning that category's plan; TypeScript cannot follow the
  // category from `C` to the entry type through the union of constructors, hence the one cast.
  return (value.ctor as unknown as { plan(a: Args): Plans[C] }).plan(argsOf(value));
}

/** The layers of a backbone constructor call, through `sequential`'s parts (each a call written in place). */
function layersOf(value: Value | undefined, where: string): LayerPlan[] {
  if (value?.v !== 'call' || !isOf(value.ctor, 'backbone')) throw new UnreadableArgument(`${where}: expected a backbone call, found ${value?.v ?? 'nothing'}`);
  const entry = value.ctor;
  if (entry.form === 'parts') return value.rest.flatMap((part) => layersOf(part, where));
  return entry.layers(argsOf(value)).map((expanded) => expanded.layer);
}

function accessor(values: Record<string, Value>, owner: string): Args {
  const bug = (name: string, expected: string): never => {
    throw new UnreadableArgument(`${owner}: argument \`${name}\` is not ${expected} (found ${values[name]?.v ?? 'nothing'})`);
  };
  const get = <K extends Value['v']>(name: string, kind: K, expected: string): ValueOf<K> => {
    const value = values[name];
    return value?.v === kind ? (value as ValueOf<K>) : bug(name, expected);
  };
  const items = (name: string): Value[] => get(name, 'list', 'a list').items;
  const choice = <T extends string>(name: string, allowed: readonly T[]): T => {
    const chosen = get(name, 'enum', 'a name').name;
    return (allowed as readonly string[]).includes(chosen) ? (chosen as T) : bug(name, `one of ${allowed.join(', ')}`);
  };
  return {
    number: (name) => get(name, 'number', 'a number').n,
    optionalNumber: (name) => (values[name]?.v === 'absent' ? null : get(name, 'number', 'a number or absent').n),
    isNumber: (name) => values[name]?.v === 'number',
    numbers: (name) => items(name).map((item, i) => (item.v === 'number' ? item.n : bug(`${name}[${i}]`, 'a number'))),
    string: (name) => get(name, 'string', 'a string').s,
    bool: (name) => get(name, 'bool', 'a boolean').b,
    choice,
    optionalChoice: (name, allowed) => (values[name]?.v === 'absent' ? null : choice(name, allowed)),
    column: (name) => get(name, 'column', 'a column').name,
    name: (name) => {
      const value = values[name];
      return value?.v === 'ref' || value?.v === 'enum' ? value.name : bug(name, 'a name');
    },
    names: (name) => items(name).map((item, i) => (item.v === 'ref' ? item.name : bug(`${name}[${i}]`, 'a reference'))),
    numberRecord: (name) => recordOf(get(name, 'record', 'a record').entries
      .map((e) => [e.key, e.value.v === 'number' ? e.value.n : bug(`${name}.${e.key}`, 'a number')] as const)
      .sort(([a], [b]) => compareText(a, b))),
    numberListRecord: (name) => recordOf(get(name, 'record', 'a record').entries
      .map((e) => [e.key, e.value.v === 'list' ? e.value.items.map((item, i) => (item.v === 'number' ? item.n : bug(`${name}.${e.key}[${i}]`, 'a number'))) : bug(`${name}.${e.key}`, 'a list')] as const)
      .sort(([a], [b]) => compareText(a, b))),
    choiceRecord: (name, allowed) => recordOf(get(name, 'record', 'a record').entries
      .map((e) => [e.key, e.value.v === 'enum' && (allowed as readonly string[]).includes(e.value.name) ? (e.value.name as (typeof allowed)[number]) : bug(`${name}.${e.key}`, `one of ${allowed.join(', ')}`)] as const)
      .sort(([a], [b]) => compareText(a, b))),
    plan: (name, category) => planOf(values[name], category, `${owner} \`${name}\``),
    plans: (name, category) => items(name).map((item) => planOf(item, category, `${owner} \`${name}\``)),
    backboneLayers: (name) => layersOf(values[name], `${owner} \`${name}\``),
  };
}

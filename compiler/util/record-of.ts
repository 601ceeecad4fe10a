/**
 * A plain object from key/value pairs, for records keyed by task names (sampling probabilities, learning-rate
 * multipliers). `Object.fromEntries` allocated megabytes per record of a thousand keys in V8 (a hidden-class
 * transition per new key); assigning keys one by one allocates a few hundred kilobytes.
 */
export function recordOf<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const record: Record<string, V> = {};
  for (const [key, value] of entries) record[key] = value;
  return record;
}

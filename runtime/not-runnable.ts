/**
 * The entry of a kind the compiler accepts and the runtime does not run yet. Every runtime table (layers, heads,
 * sharing schemes, weightings, aggregators) has an entry for every kind a job may name, so the type checker refuses
 * a kind that has none; a kind that does not run says so here, explicitly, and assertRunnable
 * (runtime/train/support.ts) refuses the job before any data is read.
 */
export interface NotRunnable {
  readonly runnable: false;
}

export const notRunnable: NotRunnable = { runnable: false };

/** The runnable kinds of a table, in its order, for messages ("dense, flatten and mixture"). */
export function runnableKinds(table: Readonly<Record<string, { readonly runnable: boolean }>>): string[] {
  return Object.entries(table)
    .filter(([, entry]) => entry.runnable)
    .map(([kind]) => kind);
}

/** "a", "a and b", "a, b and c" (or "or"). */
export function listOf(items: readonly string[], last: 'and' | 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

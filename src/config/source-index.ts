/**
 * Where a model came from in its list. Readers drop entries that fail validation, so an index into the
 * model list is not the index in the config; checks that run after reading (cluster references,
 * duplicate names, listener addresses) look the original index up here to name the right field path.
 */
const INDEX = new WeakMap<object, number>();

export function rememberIndex<T extends object>(item: T, index: number): T {
  INDEX.set(item, index);
  return item;
}

/** The index `item` had in its config list (`fallback` when unknown). */
export function sourceIndex(item: object, fallback: number): number {
  return INDEX.get(item) ?? fallback;
}

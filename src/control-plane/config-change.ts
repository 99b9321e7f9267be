/**
 * Applies a change (upsert some resources, delete others by name) to a configuration. The result is
 * a new configuration that is validated as a whole, exactly like a full push: a change that leaves a
 * route pointing at a deleted cluster is refused.
 */
import { Problem } from '../config/problems';
import { RESOURCE_KINDS, ResourceKind, ResourceLists, resourceName } from './resource-kinds';

export type DeleteNames = Partial<Record<ResourceKind, string[]>>;

export interface ChangeResult {
  lists?: ResourceLists;
  problems: Problem[];
}

/**
 * Upserted resources replace the one of the same name in place (so document order, which decides
 * nothing in xDS but reads better in history, is kept) or are appended.
 */
export function applyChange(base: ResourceLists, upsert: ResourceLists, deletes: DeleteNames): ChangeResult {
  const problems: Problem[] = [];
  const out = {} as ResourceLists;
  for (const kind of RESOURCE_KINDS) {
    const list = [...base[kind]];
    const index = new Map(list.map((r, i) => [resourceName(kind, r) as string, i]));
    for (const r of upsert[kind]) {
      const name = resourceName(kind, r) as string;
      const at = index.get(name);
      if (at === undefined) {
        index.set(name, list.length);
        list.push(r);
      } else list[at] = r;
    }
    const removed = new Set<string>();
    (deletes[kind] ?? []).forEach((name, i) => {
      if (!index.has(name)) problems.push({ path: `delete.${kind}[${i}]`, message: `no ${kind} resource named "${name}"` });
      else if (upsert[kind].some((r) => resourceName(kind, r) === name)) problems.push({ path: `delete.${kind}[${i}]`, message: `"${name}" is both upserted and deleted` });
      else removed.add(name);
    });
    out[kind] = list.filter((r) => !removed.has(resourceName(kind, r) as string));
  }
  return problems.length > 0 ? { problems } : { lists: out, problems };
}

/**
 * Request/response header mutations, flattened at config time into one ordered list per target.
 * Envoy's order: each level removes then adds; the weighted cluster's own mutations always run first
 * (WeightedClusterEntry::finalizeRequestHeaders), then route → virtual host → route configuration, so
 * the more general level wins an overwrite — unless most_specific_header_mutations_wins reverses those
 * three (route configuration → virtual host → route). The weighted cluster stays first either way.
 */
import { HeaderMutationsModel, HeaderValueOptionModel } from '../config/model';

export type HeaderMap = Record<string, string | string[] | undefined>;

export type CompiledHeaderOp = { remove: string } | { add: HeaderValueOptionModel };

export function compileMutations(levels: (HeaderMutationsModel | undefined)[], which: 'request' | 'response', mostSpecificWins: boolean, clusterLevel?: HeaderMutationsModel): CompiledHeaderOp[] {
  const ordered = levels.filter((l): l is HeaderMutationsModel => l !== undefined);
  if (mostSpecificWins) ordered.reverse();
  if (clusterLevel) ordered.unshift(clusterLevel);
  const ops: CompiledHeaderOp[] = [];
  for (const level of ordered) {
    const removes = which === 'request' ? level.requestHeadersToRemove : level.responseHeadersToRemove;
    const adds = which === 'request' ? level.requestHeadersToAdd : level.responseHeadersToAdd;
    for (const name of removes) ops.push({ remove: name });
    for (const add of adds) ops.push({ add });
  }
  return ops;
}

export function applyHeaderOps(headers: HeaderMap, ops: readonly CompiledHeaderOp[]): void {
  for (const op of ops) {
    if ('remove' in op) {
      delete headers[op.remove];
      continue;
    }
    const { key, value, appendAction, keepEmptyValue } = op.add;
    if (value === '' && !keepEmptyValue) continue;
    const existing = headers[key];
    switch (appendAction) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        headers[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
        break;
      case 'ADD_IF_ABSENT':
        if (existing === undefined) headers[key] = value;
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        headers[key] = value;
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (existing !== undefined) headers[key] = value;
        break;
    }
  }
}

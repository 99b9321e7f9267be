/**
 * Builds the candidate configuration for an update: the bootstrap's static resources plus every
 * dynamic resource held, with the update applied, validated as one by the same src/config code the
 * control plane and `shadowgate validate` use. Problems come back with the resource they belong to,
 * e.g. `RouteConfiguration "r1": virtual_hosts[0].routes[0].match.safe_regex.regex: invalid regex …`.
 */
import { ConfigSnapshot, validateResources } from '../config/snapshot';
import { Problem, formatProblem } from '../config/problems';
import { EntryMap, kindOf } from './xds-resources';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL, ResourceTypeUrl } from './type-urls';

export interface StaticResources {
  listeners: readonly unknown[];
  clusters: readonly unknown[];
}

export type DynamicEntries = ReadonlyMap<ResourceTypeUrl, EntryMap>;

export type Composed = { snapshot: ConfigSnapshot; warnings: string[] } | { problems: string[] };

const LIST_KEYS: [keyof ListSet, ResourceTypeUrl][] = [
  ['listeners', LISTENER_TYPE_URL],
  ['routes', ROUTE_CONFIGURATION_TYPE_URL],
  ['clusters', CLUSTER_TYPE_URL],
  ['endpoints', CLUSTER_LOAD_ASSIGNMENT_TYPE_URL],
];

interface ListSet {
  listeners: unknown[];
  routes: unknown[];
  clusters: unknown[];
  endpoints: unknown[];
}

export function composeCandidate(statics: StaticResources, dynamic: DynamicEntries): Composed {
  const lists: ListSet = { listeners: [...statics.listeners], routes: [], clusters: [...statics.clusters], endpoints: [] };
  // Who each list index is, so `clusters[3].connect_timeout` can be reported as `Cluster "x": connect_timeout`.
  const labels: Record<keyof ListSet, string[]> = {
    listeners: statics.listeners.map((_, i) => `static_resources.listeners[${i}]`),
    routes: [],
    clusters: statics.clusters.map((_, i) => `static_resources.clusters[${i}]`),
    endpoints: [],
  };
  for (const [key, typeUrl] of LIST_KEYS) {
    for (const entry of dynamic.get(typeUrl)?.values() ?? []) {
      lists[key].push(entry.json);
      labels[key].push(`${kindOf(typeUrl)} "${entry.name}"`);
    }
  }
  const result = validateResources(lists);
  const describe = (p: Problem): string => formatProblem(relabel(p, labels));
  if (!result.snapshot) return { problems: result.problems.map(describe) };
  return { snapshot: result.snapshot, warnings: result.warnings.map(describe) };
}

const INDEXED_PATH = /^(listeners|routes|clusters|endpoints)\[(\d+)\]\.?(.*)$/;

function relabel(p: Problem, labels: Record<keyof ListSet, string[]>): Problem {
  const m = INDEXED_PATH.exec(p.path);
  const label = m && labels[m[1] as keyof ListSet][Number(m[2])];
  if (!m || !label) return p;
  // `Cluster "x": rest` for dynamic resources, `static_resources.clusters[0].rest` for static ones.
  const sep = label.startsWith('static_resources.') ? '.' : ': ';
  return { path: m[3] ? `${label}${sep}${m[3]}` : label, message: p.message };
}

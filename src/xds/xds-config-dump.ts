/**
 * What /config_dump shows of dynamic config (Envoy's dynamic_active_clusters, dynamic_warming_clusters,
 * dynamic_listeners, dynamic_route_configs, with version_info and last_updated; error_state holding
 * the last rejected update of each type until the next accepted one).
 */
import type { DynamicConfigState, DynamicResourceInfo, UpdateFailure } from '../admin/config-dump';
import { EntryMap, ResourceStore } from './xds-resources';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL, ResourceTypeUrl } from './type-urls';

export type TypeErrors = Map<ResourceTypeUrl, UpdateFailure>;

function infos(entries: EntryMap, include: (name: string) => boolean): DynamicResourceInfo[] {
  return [...entries.values()].filter((e) => include(e.name)).map((e) => ({ name: e.name, version: e.version, lastUpdated: e.lastUpdated, resource: e.json }));
}

export function dynamicConfigState(store: ResourceStore, warming: { clusters: ReadonlySet<string>; listeners: ReadonlySet<string> }, errors: TypeErrors): DynamicConfigState {
  const clusters = store.get(CLUSTER_TYPE_URL);
  return {
    listeners: infos(store.get(LISTENER_TYPE_URL), (n) => !warming.listeners.has(n)),
    routes: infos(store.get(ROUTE_CONFIGURATION_TYPE_URL), () => true),
    clusters: infos(clusters, (n) => !warming.clusters.has(n)),
    warmingClusters: infos(clusters, (n) => warming.clusters.has(n)),
    endpoints: infos(store.get(CLUSTER_LOAD_ASSIGNMENT_TYPE_URL), () => true),
    versions: {
      listeners: store.versionInfo(LISTENER_TYPE_URL),
      routes: store.versionInfo(ROUTE_CONFIGURATION_TYPE_URL),
      clusters: store.versionInfo(CLUSTER_TYPE_URL),
      endpoints: store.versionInfo(CLUSTER_LOAD_ASSIGNMENT_TYPE_URL),
    },
    errors: {
      ...(errors.has(LISTENER_TYPE_URL) ? { listeners: errors.get(LISTENER_TYPE_URL) } : {}),
      ...(errors.has(ROUTE_CONFIGURATION_TYPE_URL) ? { routes: errors.get(ROUTE_CONFIGURATION_TYPE_URL) } : {}),
      ...(errors.has(CLUSTER_TYPE_URL) ? { clusters: errors.get(CLUSTER_TYPE_URL) } : {}),
      ...(errors.has(CLUSTER_LOAD_ASSIGNMENT_TYPE_URL) ? { endpoints: errors.get(CLUSTER_LOAD_ASSIGNMENT_TYPE_URL) } : {}),
    },
  };
}

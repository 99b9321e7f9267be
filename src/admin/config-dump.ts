/**
 * /config_dump in Envoy's shape (envoy.admin.v3.ConfigDump as proto3 JSON with proto field names):
 * bootstrap, clusters, listeners and routes, static and dynamic, with versions, update times and the
 * last rejected update (error_state) per resource type.
 */
import { CLUSTER_TYPE, LISTENER_TYPE, ROUTE_CONFIGURATION_TYPE, CLUSTER_LOAD_ASSIGNMENT_TYPE } from '../config/type-urls';
import { isObject } from '../config/proto-json';

export interface DynamicResourceInfo {
  name: string;
  version: string;
  lastUpdated: Date;
  resource: unknown;
}

export interface UpdateFailure {
  version: string;
  details: string;
  at: Date;
}

/** What the xDS client reports about dynamic config; absent when the gateway runs on static config only. */
export interface DynamicConfigState {
  listeners: DynamicResourceInfo[];
  routes: DynamicResourceInfo[];
  clusters: DynamicResourceInfo[];
  warmingClusters: DynamicResourceInfo[];
  endpoints: DynamicResourceInfo[];
  versions: { listeners: string; routes: string; clusters: string; endpoints: string };
  errors: { listeners?: UpdateFailure; routes?: UpdateFailure; clusters?: UpdateFailure; endpoints?: UpdateFailure };
}

export interface ConfigDumpSource {
  bootstrap: unknown;
  loadedAt: Date;
  staticListeners: unknown[];
  staticClusters: unknown[];
  dynamic?: DynamicConfigState;
}

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

function typed(type: string, resource: unknown): unknown {
  return isObject(resource) ? { '@type': type, ...resource } : resource;
}

function errorState(f: UpdateFailure | undefined): object {
  return f ? { error_state: { details: f.details, version_info: f.version, last_update_attempt: f.at.toISOString() } } : {};
}

export function buildConfigDump(src: ConfigDumpSource, include: { eds?: boolean } = {}): { configs: unknown[] } {
  const d = src.dynamic;
  const at = src.loadedAt.toISOString();
  const inlineRoutes = src.staticListeners.flatMap((l) => inlineRouteConfigs(l));
  const configs: unknown[] = [
    { '@type': `${ADMIN}BootstrapConfigDump`, bootstrap: src.bootstrap, last_updated: at },
    {
      '@type': `${ADMIN}ClustersConfigDump`,
      ...(d ? { version_info: d.versions.clusters } : {}),
      static_clusters: src.staticClusters.map((c) => ({ cluster: typed(CLUSTER_TYPE, c), last_updated: at })),
      dynamic_active_clusters: (d?.clusters ?? []).map((c) => ({ version_info: c.version, cluster: typed(CLUSTER_TYPE, c.resource), last_updated: c.lastUpdated.toISOString() })),
      dynamic_warming_clusters: (d?.warmingClusters ?? []).map((c) => ({ version_info: c.version, cluster: typed(CLUSTER_TYPE, c.resource), last_updated: c.lastUpdated.toISOString() })),
      ...errorState(d?.errors.clusters),
    },
    {
      '@type': `${ADMIN}ListenersConfigDump`,
      ...(d ? { version_info: d.versions.listeners } : {}),
      static_listeners: src.staticListeners.map((l) => ({ listener: typed(LISTENER_TYPE, l), last_updated: at })),
      dynamic_listeners: (d?.listeners ?? []).map((l) => ({
        name: l.name,
        active_state: { version_info: l.version, listener: typed(LISTENER_TYPE, l.resource), last_updated: l.lastUpdated.toISOString() },
      })),
      ...errorState(d?.errors.listeners),
    },
    {
      '@type': `${ADMIN}RoutesConfigDump`,
      static_route_configs: inlineRoutes.map((r) => ({ route_config: typed(ROUTE_CONFIGURATION_TYPE, r), last_updated: at })),
      dynamic_route_configs: (d?.routes ?? []).map((r) => ({ version_info: r.version, route_config: typed(ROUTE_CONFIGURATION_TYPE, r.resource), last_updated: r.lastUpdated.toISOString() })),
      ...errorState(d?.errors.routes),
    },
  ];
  if (include.eds && d) {
    configs.push({
      '@type': `${ADMIN}EndpointsConfigDump`,
      dynamic_endpoint_configs: d.endpoints.map((e) => ({ version_info: e.version, endpoint_config: typed(CLUSTER_LOAD_ASSIGNMENT_TYPE, e.resource), last_updated: e.lastUpdated.toISOString() })),
      ...errorState(d.errors.endpoints),
    });
  }
  return { configs };
}

/** Inline route_config of each HCM, reported by Envoy as static route configs. */
function inlineRouteConfigs(listener: unknown): unknown[] {
  if (!isObject(listener) || !Array.isArray(listener.filter_chains)) return [];
  const out: unknown[] = [];
  for (const chain of listener.filter_chains) {
    if (!isObject(chain) || !Array.isArray(chain.filters)) continue;
    for (const f of chain.filters) {
      const tc = isObject(f) && isObject(f.typed_config) ? f.typed_config : undefined;
      const rc = tc?.route_config ?? tc?.routeConfig;
      if (rc) out.push(rc);
    }
  }
  return out;
}

/**
 * What the client subscribes to (xDS protocol, "How does Envoy fetch resources"): wildcard LDS and
 * CDS when the bootstrap says lds_config / cds_config use ADS, then the RouteConfigurations the
 * listeners name (HCM rds.route_config_name) and the ClusterLoadAssignments of the EDS clusters
 * (eds_cluster_config.service_name, or the cluster name). Derived again after every change.
 */
import { ConfigSnapshot } from '../config/snapshot';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL, ResourceTypeUrl } from './type-urls';
import { SubscriptionSet, TypeSubscription } from './xds-update';

const NONE: ReadonlySet<string> = new Set();

/** Names referenced by any of `snapshots` (the candidate and the one serving, while it still serves). */
export function deriveSubscriptions(wildcards: { lds: boolean; cds: boolean }, snapshots: readonly ConfigSnapshot[]): SubscriptionSet {
  const routes = new Set<string>();
  const endpoints = new Set<string>();
  for (const s of snapshots) {
    for (const l of s.listeners) if (l.hcm.routeSource.kind === 'rds') routes.add(l.hcm.routeSource.name);
    for (const [name, c] of s.clusters) if (c.type === 'EDS') endpoints.add(c.edsServiceName ?? name);
  }
  const out = new Map<ResourceTypeUrl, TypeSubscription>();
  if (wildcards.cds) out.set(CLUSTER_TYPE_URL, { wildcard: true, names: NONE });
  out.set(CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, { wildcard: false, names: endpoints });
  if (wildcards.lds) out.set(LISTENER_TYPE_URL, { wildcard: true, names: NONE });
  out.set(ROUTE_CONFIGURATION_TYPE_URL, { wildcard: false, names: routes });
  return out;
}

export function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((n) => b.has(n));
}

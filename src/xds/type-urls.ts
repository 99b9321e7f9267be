/**
 * xDS type URLs (go-control-plane pkg/resource/v3/resource.go) and the typed-config URLs the
 * codec and config model recognise. A type URL is `type.googleapis.com/` + the message's full name.
 */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

export const LISTENER_TYPE_URL = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_CONFIGURATION_TYPE_URL = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const CLUSTER_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const CLUSTER_LOAD_ASSIGNMENT_TYPE_URL = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

export const HTTP_CONNECTION_MANAGER_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const HTTP_FAULT_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
export const UPSTREAM_HTTP_PROTOCOL_OPTIONS_TYPE_URL =
  'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The four resource types served over ADS. */
export type ResourceTypeUrl =
  | typeof CLUSTER_TYPE_URL
  | typeof CLUSTER_LOAD_ASSIGNMENT_TYPE_URL
  | typeof LISTENER_TYPE_URL
  | typeof ROUTE_CONFIGURATION_TYPE_URL;

/**
 * Make-before-break push order (xDS protocol, "Eventual consistency considerations"):
 * clusters, then their endpoints, then listeners, then the routes those listeners name — so no
 * listener or route ever points at a cluster the data plane does not have yet.
 */
export const RESOURCE_TYPE_ORDER: readonly ResourceTypeUrl[] = [
  CLUSTER_TYPE_URL,
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
];

/** Short names for logs and status output. */
export const RESOURCE_TYPE_SHORT_NAMES: Readonly<Record<ResourceTypeUrl, 'CDS' | 'EDS' | 'LDS' | 'RDS'>> = {
  [CLUSTER_TYPE_URL]: 'CDS',
  [CLUSTER_LOAD_ASSIGNMENT_TYPE_URL]: 'EDS',
  [LISTENER_TYPE_URL]: 'LDS',
  [ROUTE_CONFIGURATION_TYPE_URL]: 'RDS',
};

/**
 * SotW state-of-the-world rule: a Listener or Cluster missing from a later response is deleted;
 * RouteConfiguration and ClusterLoadAssignment responses may carry a subset.
 */
export function isFullStateType(typeUrl: string): boolean {
  return typeUrl === LISTENER_TYPE_URL || typeUrl === CLUSTER_TYPE_URL;
}

export function isResourceTypeUrl(typeUrl: string): typeUrl is ResourceTypeUrl {
  return (RESOURCE_TYPE_ORDER as readonly string[]).includes(typeUrl);
}

/** Message full name from a type URL: everything after the last '/'. */
export function typeNameFromUrl(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

export function typeUrlFor(fullName: string): string {
  return TYPE_URL_PREFIX + fullName;
}

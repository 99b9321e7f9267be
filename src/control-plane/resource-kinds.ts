/**
 * The four resource kinds of a push document and how each maps onto xDS: the document key, the
 * type URL it is served under, and the field that names a resource (xDS keys every resource by
 * name; a ClusterLoadAssignment is named by its cluster_name).
 */
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  RESOURCE_TYPE_ORDER,
  RESOURCE_TYPE_SHORT_NAMES,
  ROUTE_CONFIGURATION_TYPE_URL,
  ResourceTypeUrl,
} from '../xds/type-urls';

export type ResourceKind = 'listeners' | 'routes' | 'clusters' | 'endpoints';

/** Document order; serving order is RESOURCE_TYPE_ORDER. */
export const RESOURCE_KINDS: readonly ResourceKind[] = ['listeners', 'routes', 'clusters', 'endpoints'];

export const KIND_TYPE_URL: Readonly<Record<ResourceKind, ResourceTypeUrl>> = {
  listeners: LISTENER_TYPE_URL,
  routes: ROUTE_CONFIGURATION_TYPE_URL,
  clusters: CLUSTER_TYPE_URL,
  endpoints: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
};

export const TYPE_URL_KIND: Readonly<Record<ResourceTypeUrl, ResourceKind>> = {
  [LISTENER_TYPE_URL]: 'listeners',
  [ROUTE_CONFIGURATION_TYPE_URL]: 'routes',
  [CLUSTER_TYPE_URL]: 'clusters',
  [CLUSTER_LOAD_ASSIGNMENT_TYPE_URL]: 'endpoints',
};

/** CDS, EDS, LDS, RDS: the make-before-break order, as short names. */
export const SHORT_TYPES_IN_ORDER = RESOURCE_TYPE_ORDER.map((t) => RESOURCE_TYPE_SHORT_NAMES[t]);

export function shortType(typeUrl: ResourceTypeUrl): string {
  return RESOURCE_TYPE_SHORT_NAMES[typeUrl];
}

/** The resource's name field: proto3 JSON accepts snake_case and lowerCamelCase. */
export function resourceName(kind: ResourceKind, resource: Record<string, unknown>): unknown {
  if (kind === 'endpoints') return resource.cluster_name ?? resource.clusterName;
  return resource.name;
}

/** A document's resources, one list per kind (always present, possibly empty). */
export type ResourceLists = Record<ResourceKind, Record<string, unknown>[]>;

export function emptyLists(): ResourceLists {
  return { listeners: [], routes: [], clusters: [], endpoints: [] };
}

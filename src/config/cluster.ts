/** Cluster and ClusterLoadAssignment (cluster.proto, endpoint.proto, circuit_breaker.proto). */
import { CircuitBreakerModel, ClusterLoadAssignmentModel, ClusterModel, ClusterType, EndpointModel, HealthStatus, LbPolicy } from './model';
import { Problems, joinPath } from './problems';
import { isObject, readDurationMs, readEnum, readList, readMessage, readString, readTypedConfig, readUint } from './proto-json';
import { HTTP_PROTOCOL_OPTIONS_TYPE } from './type-urls';
import { readConfigSource } from './config-source';
import { readSocketAddress } from './listener';

/** Envoy's default connect_timeout: 5 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Envoy's default dns_refresh_rate: 5 s. */
const DEFAULT_DNS_REFRESH_MS = 5_000;
/** Envoy's circuit-breaker defaults (circuit_breaker.proto). */
export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakerModel = Object.freeze({ maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });

const CLUSTER_TYPES = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'] as const;
const LB_POLICIES = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', '', 'MAGLEV', 'CLUSTER_PROVIDED', 'LOAD_BALANCING_POLICY_CONFIG'] as const;
/** cluster.proto DnsLookupFamily; AUTO (0) is the default: IPv6 if the name has any, else IPv4. */
const DNS_LOOKUP_FAMILIES = ['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'] as const;
/** core.v3.RoutingPriority. */
const PRIORITIES = ['DEFAULT', 'HIGH'] as const;
const HEALTH = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'] as const;

export function readCluster(v: unknown, path: string, p: Problems): ClusterModel | undefined {
  const m = readMessage(v, path, p, {
    supported: [
      'name', 'type', 'eds_cluster_config', 'connect_timeout', 'per_connection_buffer_limit_bytes', 'lb_policy', 'load_assignment',
      'circuit_breakers', 'dns_lookup_family', 'dns_refresh_rate', 'alt_stat_name', 'http2_protocol_options', 'typed_extension_protocol_options',
    ],
    unsupported: [
      'cluster_type', 'health_checks', 'max_requests_per_connection', 'outlier_detection', 'lb_subset_config', 'common_lb_config',
      'transport_socket', 'metadata', 'load_balancing_policy', 'upstream_connection_options',
      'ring_hash_lb_config', 'maglev_lb_config', 'least_request_lb_config', 'round_robin_lb_config',
      'http_protocol_options', 'common_http_protocol_options', 'upstream_http_protocol_options', 'cleanup_interval', 'dns_resolvers',
      'typed_dns_resolver_config', 'wait_for_warm_on_init', 'transport_socket_matches', 'track_cluster_stats', 'preconnect_policy',
      'close_connections_on_host_health_failure', 'ignore_health_on_host_removal', 'filters', 'upstream_bind_config', 'protocol_selection',
    ],
  });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p);
  if (!name) p.add(joinPath(path, 'name'), 'is required');
  const type = readEnum(m.type, joinPath(path, 'type'), p, CLUSTER_TYPES, 'STATIC');
  if (type === 'ORIGINAL_DST') p.add(joinPath(path, 'type'), 'ORIGINAL_DST is not supported by shadowgate yet');
  const lb = readEnum(m.lb_policy, joinPath(path, 'lb_policy'), p, LB_POLICIES, 'ROUND_ROBIN');
  if (lb !== 'ROUND_ROBIN' && lb !== 'LEAST_REQUEST' && lb !== 'RANDOM') p.add(joinPath(path, 'lb_policy'), `${lb} is not supported by shadowgate yet (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)`);
  const dnsLookupFamily = readEnum(m.dns_lookup_family, joinPath(path, 'dns_lookup_family'), p, DNS_LOOKUP_FAMILIES, 'AUTO');
  let endpoints: EndpointModel[] = [];
  let edsServiceName: string | undefined;
  if (type === 'EDS') {
    if (m.load_assignment !== undefined) p.add(joinPath(path, 'load_assignment'), 'EDS clusters take their endpoints from EDS; remove load_assignment');
    const ep = joinPath(path, 'eds_cluster_config');
    const e = readMessage(m.eds_cluster_config ?? {}, ep, p, { supported: ['eds_config', 'service_name'] });
    if (!e?.eds_config) p.add(joinPath(ep, 'eds_config'), 'is required for an EDS cluster');
    else readConfigSource(e.eds_config, joinPath(ep, 'eds_config'), p);
    edsServiceName = readString(e?.service_name, joinPath(ep, 'service_name'), p) || undefined;
  } else {
    if (m.eds_cluster_config !== undefined) p.add(joinPath(path, 'eds_cluster_config'), `only valid for type EDS, not ${type}`);
    const cla = m.load_assignment === undefined ? undefined : readClusterLoadAssignment(m.load_assignment, joinPath(path, 'load_assignment'), p, false);
    endpoints = cla?.endpoints ?? [];
    if (type === 'LOGICAL_DNS' && endpoints.length > 1) p.add(joinPath(path, 'load_assignment'), 'LOGICAL_DNS clusters must have a single endpoint');
  }
  const connectTimeoutMs = readDurationMs(m.connect_timeout, joinPath(path, 'connect_timeout'), p) ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (connectTimeoutMs === 0) p.add(joinPath(path, 'connect_timeout'), 'must be greater than 0s');
  const circuitBreakers = readCircuitBreakers(m.circuit_breakers, joinPath(path, 'circuit_breakers'), p);
  const http2 = readUpstreamProtocol(m, path, p);
  if (!name) return undefined;
  return {
    name,
    type: type as ClusterType,
    lbPolicy: lb as LbPolicy,
    connectTimeoutMs,
    perConnectionBufferLimitBytes: readUint(m.per_connection_buffer_limit_bytes, joinPath(path, 'per_connection_buffer_limit_bytes'), p) ?? 1024 * 1024,
    circuitBreakers: circuitBreakers.normal,
    highPriorityCircuitBreakers: circuitBreakers.high,
    endpoints,
    ...(edsServiceName ? { edsServiceName } : {}),
    dnsRefreshRateMs: readDurationMs(m.dns_refresh_rate, joinPath(path, 'dns_refresh_rate'), p) ?? DEFAULT_DNS_REFRESH_MS,
    dnsLookupFamily,
    http2,
  };
}

/**
 * HTTP/2 to the upstream, as Envoy bootstraps declare it for their xDS cluster: the deprecated
 * `http2_protocol_options: {}` or HttpProtocolOptions in `typed_extension_protocol_options`. The gRPC
 * clients (xDS, OTLP) use it; proxying requests to an HTTP/2 cluster is refused by the snapshot check.
 */
function readUpstreamProtocol(m: Record<string, unknown>, path: string, p: Problems): boolean {
  let http2 = m.http2_protocol_options !== undefined;
  const ext = m.typed_extension_protocol_options;
  if (ext === undefined) return http2;
  const ep = joinPath(path, 'typed_extension_protocol_options');
  if (!isObject(ext)) {
    p.add(ep, 'expected a map of extension name to typed config');
    return http2;
  }
  for (const [key, value] of Object.entries(ext)) {
    const kp = joinPath(ep, key);
    const typed = readTypedConfig(value, kp, p, [HTTP_PROTOCOL_OPTIONS_TYPE]);
    if (!typed) continue;
    const o = readMessage(typed.body, kp, p, { supported: ['explicit_http_config', 'use_downstream_protocol_config', 'auto_config', 'common_http_protocol_options'], unsupported: ['upstream_http_protocol_options', 'http_filters', 'header_validation_config'] });
    const explicit = isObject(o?.explicit_http_config) ? o.explicit_http_config : undefined;
    if (explicit && explicit.http2_protocol_options !== undefined) http2 = true;
  }
  return http2;
}

function readCircuitBreakers(v: unknown, path: string, p: Problems): { normal: CircuitBreakerModel; high: CircuitBreakerModel } {
  const out = { normal: DEFAULT_CIRCUIT_BREAKERS, high: DEFAULT_CIRCUIT_BREAKERS };
  if (v === undefined) return out;
  const m = readMessage(v, path, p, { supported: ['thresholds'], unsupported: ['per_host_thresholds'] });
  const thresholds = readList(m?.thresholds, joinPath(path, 'thresholds'), p);
  thresholds.forEach((item, i) => {
    const tp = joinPath(joinPath(path, 'thresholds'), i);
    const t = readMessage(item, tp, p, {
      supported: ['priority', 'max_connections', 'max_pending_requests', 'max_requests', 'max_retries', 'track_remaining'],
      unsupported: ['retry_budget', 'max_connection_pools'],
    });
    if (!t) return;
    const priority = readEnum(t.priority, joinPath(tp, 'priority'), p, PRIORITIES, 'DEFAULT');
    const thresholdsOf: CircuitBreakerModel = {
      maxConnections: readUint(t.max_connections, joinPath(tp, 'max_connections'), p) ?? DEFAULT_CIRCUIT_BREAKERS.maxConnections,
      maxPendingRequests: readUint(t.max_pending_requests, joinPath(tp, 'max_pending_requests'), p) ?? DEFAULT_CIRCUIT_BREAKERS.maxPendingRequests,
      maxRequests: readUint(t.max_requests, joinPath(tp, 'max_requests'), p) ?? DEFAULT_CIRCUIT_BREAKERS.maxRequests,
      maxRetries: readUint(t.max_retries, joinPath(tp, 'max_retries'), p) ?? DEFAULT_CIRCUIT_BREAKERS.maxRetries,
    };
    // shadowgate routes everything at DEFAULT priority; HIGH thresholds are kept for /clusters only.
    if (priority === 'HIGH') out.high = thresholdsOf;
    else out.normal = thresholdsOf;
  });
  return out;
}

export function readClusterLoadAssignment(v: unknown, path: string, p: Problems, requireName = true): ClusterLoadAssignmentModel | undefined {
  const m = readMessage(v, path, p, { supported: ['cluster_name', 'endpoints', 'policy'], unsupported: ['named_endpoints'] });
  if (!m) return undefined;
  const clusterName = readString(m.cluster_name, joinPath(path, 'cluster_name'), p) ?? '';
  if (requireName && !clusterName) p.add(joinPath(path, 'cluster_name'), 'is required');
  const endpoints: EndpointModel[] = [];
  readList(m.endpoints, joinPath(path, 'endpoints'), p).forEach((item, i) => {
    const lp = joinPath(joinPath(path, 'endpoints'), i);
    const l = readMessage(item, lp, p, { supported: ['lb_endpoints', 'locality', 'load_balancing_weight', 'priority'], unsupported: ['proximity', 'metadata', 'leds_cluster_locality_config'] });
    if (!l) return;
    if (l.priority !== undefined && l.priority !== 0) p.add(joinPath(lp, 'priority'), 'only priority 0 is supported by shadowgate yet');
    readList(l.lb_endpoints, joinPath(lp, 'lb_endpoints'), p).forEach((e, j) => {
      const endpoint = readLbEndpoint(e, joinPath(joinPath(lp, 'lb_endpoints'), j), p);
      if (endpoint) endpoints.push(endpoint);
    });
  });
  return { clusterName, endpoints };
}

function readLbEndpoint(v: unknown, path: string, p: Problems): EndpointModel | undefined {
  const m = readMessage(v, path, p, { supported: ['endpoint', 'health_status', 'load_balancing_weight'], unsupported: ['endpoint_name', 'metadata'] });
  if (!m) return undefined;
  const ep = joinPath(path, 'endpoint');
  const e = readMessage(m.endpoint, ep, p, { supported: ['address', 'hostname'], unsupported: ['health_check_config', 'additional_addresses'] });
  const address = e && readSocketAddress(e.address, joinPath(ep, 'address'), p);
  const weight = readUint(m.load_balancing_weight ?? 1, joinPath(path, 'load_balancing_weight'), p) ?? 1;
  if (weight === 0) p.add(joinPath(path, 'load_balancing_weight'), 'must be at least 1');
  const healthStatus = readEnum(m.health_status, joinPath(path, 'health_status'), p, HEALTH, 'UNKNOWN') as HealthStatus;
  if (address && address.port === 0) p.add(joinPath(ep, 'address.socket_address.port_value'), 'is required');
  return address ? { host: address.host, port: address.port, weight: Math.max(1, weight), healthStatus } : undefined;
}

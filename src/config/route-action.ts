/** Route actions: RouteAction (forward), RedirectAction, DirectResponseAction. */
import { ClusterSpecifierModel, DirectResponseModel, RedirectModel, RouteForwardModel, WeightedClusterEntryModel } from './model';
import { Problems, joinPath } from './problems';
import { JsonObject, isObject, readBool, readDurationMs, readEnum, readList, readMessage, readOneOf, readString, readUint } from './proto-json';
import { readRegexRewrite } from './regex';
import { HEADER_MUTATION_FIELDS, readHeaderMutations } from './header-options';
import { readMirrorPolicies } from './mirror-policy';

/** Envoy's default route timeout (RouteAction.timeout). */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
const UINT32_MAX = 0xffff_ffff;

const ROUTE_ACTION_SHAPE = {
  supported: [
    'cluster', 'cluster_header', 'weighted_clusters', 'cluster_not_found_response_code', 'prefix_rewrite', 'regex_rewrite',
    'host_rewrite_literal', 'auto_host_rewrite', 'timeout', 'request_mirror_policies',
  ],
  unsupported: [
    'cluster_specifier_plugin', 'inline_cluster_specifier_plugin', 'metadata_match', 'path_rewrite_policy', 'path_rewrite',
    'host_rewrite_header', 'host_rewrite_path_regex', 'host_rewrite', 'append_x_forwarded_host', 'idle_timeout', 'flush_timeout',
    'early_data_policy', 'retry_policy', 'retry_policy_typed_config', 'priority', 'rate_limits', 'include_vh_rate_limits',
    'hash_policy', 'cors', 'max_grpc_timeout', 'grpc_timeout_offset', 'upgrade_configs', 'internal_redirect_policy',
    'internal_redirect_action', 'max_internal_redirects', 'hedge_policy', 'max_stream_duration', 'request_mirror_policy',
  ],
};

const NOT_FOUND_CODES = ['SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR'] as const;
const NOT_FOUND_STATUS = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 } as const;

export function readRouteAction(v: unknown, path: string, p: Problems): RouteForwardModel | undefined {
  const m = readMessage(v, path, p, ROUTE_ACTION_SHAPE);
  if (!m) return undefined;
  const cluster = readClusterSpecifier(m, path, p);
  const rewrite = readOneOf(m, ['prefix_rewrite', 'regex_rewrite'], path, p, false);
  const hostRewrite = readOneOf(m, ['host_rewrite_literal', 'auto_host_rewrite'], path, p, false);
  const prefixRewrite = readString(m.prefix_rewrite, joinPath(path, 'prefix_rewrite'), p);
  const regexRewrite = rewrite === 'regex_rewrite' ? readRegexRewrite(m.regex_rewrite, joinPath(path, 'regex_rewrite'), p) : undefined;
  const hostRewriteLiteral = readString(m.host_rewrite_literal, joinPath(path, 'host_rewrite_literal'), p) || undefined;
  const autoHostRewrite = hostRewrite === 'auto_host_rewrite' && (readBool(m.auto_host_rewrite, joinPath(path, 'auto_host_rewrite'), p) ?? false);
  const timeoutMs = readDurationMs(m.timeout, joinPath(path, 'timeout'), p) ?? DEFAULT_ROUTE_TIMEOUT_MS;
  const notFound = readEnum(m.cluster_not_found_response_code, joinPath(path, 'cluster_not_found_response_code'), p, NOT_FOUND_CODES, 'SERVICE_UNAVAILABLE');
  const requestMirrorPolicies = readMirrorPolicies(m.request_mirror_policies, joinPath(path, 'request_mirror_policies'), p);
  if (!cluster) return undefined;
  return {
    kind: 'route',
    cluster,
    clusterNotFoundStatus: NOT_FOUND_STATUS[notFound],
    ...(prefixRewrite !== undefined ? { prefixRewrite } : {}),
    ...(regexRewrite ? { regexRewrite } : {}),
    ...(hostRewriteLiteral ? { hostRewriteLiteral } : {}),
    autoHostRewrite,
    timeoutMs,
    requestMirrorPolicies,
  };
}

function readClusterSpecifier(m: JsonObject, path: string, p: Problems): ClusterSpecifierModel | undefined {
  const which = readOneOf(m, ['cluster', 'cluster_header', 'weighted_clusters'], path, p, true);
  if (which === 'cluster') {
    const name = readString(m.cluster, joinPath(path, 'cluster'), p);
    if (!name) p.add(joinPath(path, 'cluster'), 'must not be empty');
    return name ? { kind: 'cluster', name } : undefined;
  }
  if (which === 'cluster_header') {
    const header = readString(m.cluster_header, joinPath(path, 'cluster_header'), p);
    if (!header) p.add(joinPath(path, 'cluster_header'), 'must not be empty');
    return header ? { kind: 'cluster_header', header: header.toLowerCase() } : undefined;
  }
  if (which === 'weighted_clusters') return readWeightedClusters(m.weighted_clusters, joinPath(path, 'weighted_clusters'), p);
  return undefined;
}

function readWeightedClusters(v: unknown, path: string, p: Problems): ClusterSpecifierModel | undefined {
  const m = readMessage(v, path, p, { supported: ['clusters', 'total_weight'], unsupported: ['runtime_key_prefix', 'header_name', 'use_hash_policy'] });
  if (!m) return undefined;
  const problemsBefore = p.list.length;
  const list = readList(m.clusters, joinPath(path, 'clusters'), p);
  if (list.length === 0) p.add(joinPath(path, 'clusters'), 'at least one cluster is required');
  const clusters: WeightedClusterEntryModel[] = [];
  list.forEach((item, i) => {
    const entry = readClusterWeight(item, joinPath(joinPath(path, 'clusters'), i), p);
    if (entry) clusters.push(entry);
  });
  const totalWeight = clusters.reduce((sum, c) => sum + c.weight, 0);
  // total_weight is deprecated: Envoy uses the sum of the weights; we accept it only when it agrees.
  const declared = readUint(m.total_weight, joinPath(path, 'total_weight'), p);
  if (declared !== undefined && declared !== totalWeight && clusters.length === list.length) {
    p.add(joinPath(path, 'total_weight'), `Sum of weights in the weighted_cluster should add up to ${declared}, got ${totalWeight}`);
  }
  if (clusters.length === list.length && list.length > 0) {
    if (totalWeight === 0) p.add(path, 'Sum of weights in the weighted_cluster must be greater than 0.');
    if (totalWeight > UINT32_MAX) p.add(path, `Sum of weights in the weighted_cluster cannot exceed ${UINT32_MAX}.`);
  }
  return p.list.length === problemsBefore ? { kind: 'weighted', clusters, totalWeight } : undefined;
}

function readClusterWeight(v: unknown, path: string, p: Problems): WeightedClusterEntryModel | undefined {
  const m = readMessage(v, path, p, {
    supported: ['name', 'weight', 'host_rewrite_literal', ...HEADER_MUTATION_FIELDS],
    unsupported: ['cluster_header', 'metadata_match', 'typed_per_filter_config'],
  });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p);
  if (!name) p.add(joinPath(path, 'name'), 'is required');
  // weight is a UInt32Value that Envoy requires (PROTOBUF_GET_WRAPPED_REQUIRED).
  if (m.weight === undefined) p.add(joinPath(path, 'weight'), 'is required');
  else if (typeof m.weight === 'number' && m.weight < 0) p.add(joinPath(path, 'weight'), `must not be negative, got ${m.weight}`);
  const weight = m.weight === undefined || (typeof m.weight === 'number' && m.weight < 0) ? undefined : readUint(m.weight, joinPath(path, 'weight'), p, UINT32_MAX);
  const hostRewriteLiteral = readString(m.host_rewrite_literal, joinPath(path, 'host_rewrite_literal'), p) || undefined;
  const mutations = readHeaderMutations(m, path, p);
  if (!name || weight === undefined) return undefined;
  return { name, weight, ...(hostRewriteLiteral ? { hostRewriteLiteral } : {}), ...mutations };
}

const REDIRECT_CODES = ['MOVED_PERMANENTLY', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'] as const;
const REDIRECT_STATUS = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 } as const;

export function readRedirect(v: unknown, path: string, p: Problems): RedirectModel | undefined {
  const m = readMessage(v, path, p, {
    supported: ['https_redirect', 'scheme_redirect', 'host_redirect', 'port_redirect', 'path_redirect', 'prefix_rewrite', 'regex_rewrite', 'response_code', 'strip_query'],
  });
  if (!m) return undefined;
  readOneOf(m, ['https_redirect', 'scheme_redirect'], path, p, false);
  const pathKind = readOneOf(m, ['path_redirect', 'prefix_rewrite', 'regex_rewrite'], path, p, false);
  const https = readBool(m.https_redirect, joinPath(path, 'https_redirect'), p);
  const scheme = https ? 'https' : readString(m.scheme_redirect, joinPath(path, 'scheme_redirect'), p)?.toLowerCase();
  const hostRedirect = readString(m.host_redirect, joinPath(path, 'host_redirect'), p) || undefined;
  const portRedirect = readUint(m.port_redirect, joinPath(path, 'port_redirect'), p, 65535) || undefined;
  const pathRedirect = readString(m.path_redirect, joinPath(path, 'path_redirect'), p);
  const prefixRewrite = readString(m.prefix_rewrite, joinPath(path, 'prefix_rewrite'), p);
  const regexRewrite = pathKind === 'regex_rewrite' ? readRegexRewrite(m.regex_rewrite, joinPath(path, 'regex_rewrite'), p) : undefined;
  const code = readEnum(m.response_code, joinPath(path, 'response_code'), p, REDIRECT_CODES, 'MOVED_PERMANENTLY');
  const stripQuery = readBool(m.strip_query, joinPath(path, 'strip_query'), p) ?? false;
  return {
    kind: 'redirect',
    ...(scheme ? { scheme } : {}),
    ...(hostRedirect ? { hostRedirect } : {}),
    ...(portRedirect ? { portRedirect } : {}),
    ...(pathRedirect !== undefined ? { pathRedirect } : {}),
    ...(prefixRewrite !== undefined ? { prefixRewrite } : {}),
    ...(regexRewrite ? { regexRewrite } : {}),
    responseCode: REDIRECT_STATUS[code],
    stripQuery,
  };
}

/** Envoy's default max_direct_response_body_size_bytes. */
const MAX_DIRECT_RESPONSE_BODY_BYTES = 4096;

export function readDirectResponse(v: unknown, path: string, p: Problems): DirectResponseModel | undefined {
  const m = readMessage(v, path, p, { supported: ['status', 'body'], unsupported: ['body_format'] });
  if (!m) return undefined;
  const status = readUint(m.status, joinPath(path, 'status'), p);
  if (status === undefined || status < 200 || status > 599) {
    p.add(joinPath(path, 'status'), `must be between 200 and 599, got ${String(m.status)}`);
    return undefined;
  }
  let body: string | undefined;
  if (m.body !== undefined) {
    const b = readMessage(m.body, joinPath(path, 'body'), p, { supported: ['inline_string', 'inline_bytes'], unsupported: ['filename', 'environment_variable'] });
    if (b && typeof b.inline_string === 'string') body = b.inline_string;
    else if (b && typeof b.inline_bytes === 'string') body = Buffer.from(b.inline_bytes, 'base64').toString('utf8');
    else if (b && isObject(b)) p.add(joinPath(path, 'body'), 'one of inline_string or inline_bytes is required');
    if (body !== undefined && Buffer.byteLength(body) > MAX_DIRECT_RESPONSE_BODY_BYTES) {
      p.add(joinPath(path, 'body'), `response body size is ${Buffer.byteLength(body)} bytes; maximum is ${MAX_DIRECT_RESPONSE_BODY_BYTES}`);
    }
  }
  return { kind: 'direct_response', status, ...(body !== undefined ? { body } : {}) };
}

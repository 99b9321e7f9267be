/** Listener → one filter chain → HttpConnectionManager (listener.proto, http_connection_manager.proto). */
import { HttpConnectionManagerModel, ListenerModel, TracingModel } from './model';
import { Problems, joinPath } from './problems';
import { JsonObject, isObject, readBool, readDurationMs, readList, readMessage, readString, readTypedConfig, readUint } from './proto-json';
import { readRouteConfiguration } from './route-config';
import { readHttpFilters } from './http-filters';
import { readConfigSource } from './config-source';
import { HCM_TYPE } from './type-urls';

/** Envoy's default listener buffer limit (per_connection_buffer_limit_bytes): 1 MiB. */
export const DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024;
/** Envoy's default max_request_headers_kb. */
const DEFAULT_MAX_REQUEST_HEADERS_KB = 60;
/** Envoy's default HCM idle timeout (common_http_protocol_options.idle_timeout): 1 h. */
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

export function readSocketAddress(v: unknown, path: string, p: Problems): { host: string; port: number } | undefined {
  const a = readMessage(v, path, p, { supported: ['socket_address'], unsupported: ['pipe', 'envoy_internal_address'] });
  if (!a) return undefined;
  const sp = joinPath(path, 'socket_address');
  const s = readMessage(a.socket_address, sp, p, {
    supported: ['address', 'port_value', 'protocol', 'ipv4_compat'],
    unsupported: ['named_port', 'resolver_name', 'network_namespace_filepath'],
  });
  if (!s) return undefined;
  const host = readString(s.address, joinPath(sp, 'address'), p);
  if (!host) p.add(joinPath(sp, 'address'), 'is required');
  const port = readUint(s.port_value ?? 0, joinPath(sp, 'port_value'), p, 65535);
  if (s.protocol !== undefined && s.protocol !== 'TCP' && s.protocol !== 0) p.add(joinPath(sp, 'protocol'), 'only TCP is supported');
  return host && port !== undefined ? { host, port } : undefined;
}

export function readListener(v: unknown, path: string, p: Problems): ListenerModel | undefined {
  const m = readMessage(v, path, p, {
    supported: ['name', 'address', 'filter_chains', 'stat_prefix', 'per_connection_buffer_limit_bytes', 'traffic_direction'],
    unsupported: [
      'listener_filters', 'default_filter_chain', 'access_log', 'bind_to_port', 'enable_reuse_port', 'socket_options', 'metadata',
      'drain_type', 'listener_filters_timeout', 'transparent', 'freebind', 'tcp_fast_open_queue_length', 'udp_listener_config',
      'api_listener', 'connection_balance_config', 'additional_addresses', 'filter_chain_matcher', 'internal_listener',
    ],
  });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p);
  if (!name) p.add(joinPath(path, 'name'), 'is required');
  const address = readSocketAddress(m.address, joinPath(path, 'address'), p);
  const chains = readList(m.filter_chains, joinPath(path, 'filter_chains'), p);
  if (chains.length !== 1) p.add(joinPath(path, 'filter_chains'), `exactly one filter chain is supported, got ${chains.length}`);
  const hcm = chains.length >= 1 ? readFilterChain(chains[0], joinPath(joinPath(path, 'filter_chains'), 0), p) : undefined;
  const limit = readUint(m.per_connection_buffer_limit_bytes, joinPath(path, 'per_connection_buffer_limit_bytes'), p);
  if (!name || !address || !hcm) return undefined;
  return { name, host: address.host, port: address.port, perConnectionBufferLimitBytes: limit ?? DEFAULT_BUFFER_LIMIT_BYTES, hcm };
}

function readFilterChain(v: unknown, path: string, p: Problems): HttpConnectionManagerModel | undefined {
  const m = readMessage(v, path, p, { supported: ['filters', 'name'], unsupported: ['filter_chain_match', 'transport_socket', 'metadata', 'transport_socket_connect_timeout'] });
  if (!m) return undefined;
  const filters = readList(m.filters, joinPath(path, 'filters'), p);
  if (filters.length !== 1) {
    p.add(joinPath(path, 'filters'), 'exactly one network filter, envoy.filters.network.http_connection_manager, is supported');
    return undefined;
  }
  const fp = joinPath(joinPath(path, 'filters'), 0);
  const f = readMessage(filters[0], fp, p, { supported: ['name', 'typed_config'], unsupported: ['config_discovery'] });
  const typed = f && readTypedConfig(f.typed_config, joinPath(fp, 'typed_config'), p, [HCM_TYPE]);
  return typed && readHttpConnectionManager(typed.body, joinPath(fp, 'typed_config'), p);
}

export function readHttpConnectionManager(body: JsonObject, path: string, p: Problems): HttpConnectionManagerModel | undefined {
  const m = readMessage(body, path, p, {
    supported: [
      'stat_prefix', 'rds', 'route_config', 'http_filters', 'server_name', 'use_remote_address', 'xff_num_trusted_hops', 'skip_xff_append',
      'generate_request_id', 'preserve_external_request_id', 'always_set_request_id_in_response', 'request_timeout',
      'common_http_protocol_options', 'max_request_headers_kb', 'strip_any_host_port', 'strip_matching_host_port', 'tracing', 'codec_type',
      'http_protocol_options',
    ],
    unsupported: [
      'scoped_routes', 'add_user_agent', 'http2_protocol_options', 'http3_protocol_options', 'server_header_transformation',
      'scheme_header_transformation', 'stream_idle_timeout', 'request_headers_timeout', 'drain_timeout', 'delayed_close_timeout', 'access_log',
      'internal_address_config', 'via', 'forward_client_cert_details', 'set_current_client_cert_details', 'proxy_100_continue',
      'represent_ipv4_remote_address_as_ipv4_mapped_ipv6', 'upgrade_configs', 'normalize_path', 'merge_slashes', 'path_with_escaped_slashes_action',
      'request_id_extension', 'local_reply_config', 'strip_trailing_host_dot', 'proxy_status_config', 'typed_header_validation_config',
      'append_x_forwarded_port', 'append_local_overload', 'early_header_mutation_extensions', 'original_ip_detection_extensions',
    ],
  });
  if (!m) return undefined;
  const statPrefix = readString(m.stat_prefix, joinPath(path, 'stat_prefix'), p);
  if (!statPrefix) p.add(joinPath(path, 'stat_prefix'), 'is required');
  if (m.codec_type !== undefined && m.codec_type !== 'AUTO' && m.codec_type !== 'HTTP1' && m.codec_type !== 0 && m.codec_type !== 1) {
    p.add(joinPath(path, 'codec_type'), 'only AUTO and HTTP1 are supported (the listener speaks HTTP/1.1)');
  }
  const routeSource = readRouteSource(m, path, p);
  const { filters, router } = readHttpFilters(m.http_filters, joinPath(path, 'http_filters'), p);
  const stripAny = readBool(m.strip_any_host_port, joinPath(path, 'strip_any_host_port'), p) ?? false;
  const stripMatching = readBool(m.strip_matching_host_port, joinPath(path, 'strip_matching_host_port'), p) ?? false;
  if (stripAny && stripMatching) p.add(path, 'only one of strip_any_host_port, strip_matching_host_port may be set');
  let idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
  if (m.common_http_protocol_options !== undefined) {
    const cp = joinPath(path, 'common_http_protocol_options');
    const c = readMessage(m.common_http_protocol_options, cp, p, {
      supported: ['idle_timeout'],
      unsupported: ['max_connection_duration', 'max_headers_count', 'max_stream_duration', 'headers_with_underscores_action', 'max_requests_per_connection'],
    });
    idleTimeoutMs = readDurationMs(c?.idle_timeout, joinPath(cp, 'idle_timeout'), p) ?? DEFAULT_IDLE_TIMEOUT_MS;
  }
  const http1 = readHttp1Options(m.http_protocol_options, joinPath(path, 'http_protocol_options'), p);
  const maxKb = readUint(m.max_request_headers_kb, joinPath(path, 'max_request_headers_kb'), p, 8192) ?? DEFAULT_MAX_REQUEST_HEADERS_KB;
  const tracing = m.tracing === undefined ? undefined : readTracing(m.tracing, joinPath(path, 'tracing'), p);
  if (!statPrefix || !routeSource) return undefined;
  return {
    statPrefix,
    serverName: readString(m.server_name, joinPath(path, 'server_name'), p) || 'envoy',
    useRemoteAddress: readBool(m.use_remote_address, joinPath(path, 'use_remote_address'), p) ?? false,
    xffNumTrustedHops: readUint(m.xff_num_trusted_hops, joinPath(path, 'xff_num_trusted_hops'), p) ?? 0,
    skipXffAppend: readBool(m.skip_xff_append, joinPath(path, 'skip_xff_append'), p) ?? false,
    generateRequestId: readBool(m.generate_request_id, joinPath(path, 'generate_request_id'), p) ?? true,
    preserveExternalRequestId: readBool(m.preserve_external_request_id, joinPath(path, 'preserve_external_request_id'), p) ?? false,
    alwaysSetRequestIdInResponse: readBool(m.always_set_request_id_in_response, joinPath(path, 'always_set_request_id_in_response'), p) ?? false,
    requestTimeoutMs: readDurationMs(m.request_timeout, joinPath(path, 'request_timeout'), p) ?? 0,
    idleTimeoutMs,
    maxRequestHeadersKb: maxKb === 0 ? DEFAULT_MAX_REQUEST_HEADERS_KB : maxKb,
    stripPortMode: stripAny ? 'any' : stripMatching ? 'matching' : 'none',
    ...http1,
    routeSource,
    httpFilters: filters,
    suppressEnvoyHeaders: router.suppressEnvoyHeaders,
    ...(tracing ? { tracing } : {}),
  };
}

/** core.v3.Http1ProtocolOptions: HTTP/1.0 is refused (426) unless accept_http_10, as in Envoy. */
function readHttp1Options(v: unknown, path: string, p: Problems): { acceptHttp10: boolean; defaultHostForHttp10?: string } {
  if (v === undefined) return { acceptHttp10: false };
  const m = readMessage(v, path, p, {
    supported: ['accept_http_10', 'default_host_for_http_10'],
    unsupported: [
      'allow_absolute_url', 'header_key_format', 'enable_trailers', 'allow_chunked_length', 'override_stream_error_on_invalid_http_message',
      'send_fully_qualified_url', 'use_balsa_parser', 'allow_custom_methods', 'ignore_http_11_upgrade',
    ],
  });
  const acceptHttp10 = readBool(m?.accept_http_10, joinPath(path, 'accept_http_10'), p) ?? false;
  const defaultHost = readString(m?.default_host_for_http_10, joinPath(path, 'default_host_for_http_10'), p) || undefined;
  return { acceptHttp10, ...(defaultHost ? { defaultHostForHttp10: defaultHost } : {}) };
}

function readRouteSource(m: JsonObject, path: string, p: Problems): HttpConnectionManagerModel['routeSource'] | undefined {
  const set = ['rds', 'route_config'].filter((k) => m[k] !== undefined);
  if (set.length !== 1) {
    p.add(path, set.length === 0 ? 'one of rds or route_config is required' : 'only one of rds, route_config may be set');
    return undefined;
  }
  if (m.route_config !== undefined) {
    const config = readRouteConfiguration(m.route_config, joinPath(path, 'route_config'), p);
    return config && { kind: 'inline', config };
  }
  const rp = joinPath(path, 'rds');
  const r = readMessage(m.rds, rp, p, { supported: ['config_source', 'route_config_name'] });
  if (!r) return undefined;
  const name = readString(r.route_config_name, joinPath(rp, 'route_config_name'), p);
  if (!name) p.add(joinPath(rp, 'route_config_name'), 'is required');
  const source = readConfigSource(r.config_source, joinPath(rp, 'config_source'), p);
  return name && source ? { kind: 'rds', name, initialFetchTimeoutMs: source.initialFetchTimeoutMs } : undefined;
}

function readTracing(v: unknown, path: string, p: Problems): TracingModel | undefined {
  const m = readMessage(v, path, p, {
    supported: ['client_sampling', 'random_sampling', 'overall_sampling', 'custom_tags', 'spawn_upstream_span', 'verbose', 'max_path_tag_length', 'provider'],
    unsupported: ['operation', 'upstream_operation'],
  });
  if (!m) return undefined;
  const percent = (key: string): number | undefined => {
    const v2 = m[key];
    if (v2 === undefined) return undefined;
    const value = isObject(v2) ? v2.value : undefined;
    if (typeof value !== 'number' || value < 0 || value > 100) {
      p.add(joinPath(path, key), 'expected {value: N} with 0 <= N <= 100');
      return undefined;
    }
    return value;
  };
  const customTags: TracingModel['customTags'] = [];
  readList(m.custom_tags, joinPath(path, 'custom_tags'), p).forEach((item, i) => {
    const tp = joinPath(joinPath(path, 'custom_tags'), i);
    const t = readMessage(item, tp, p, { supported: ['tag', 'literal', 'environment', 'request_header'], unsupported: ['metadata', 'value'] });
    const tag = readString(t?.tag, joinPath(tp, 'tag'), p);
    if (!t || !tag) return;
    const lit = isObject(t.literal) ? readString(t.literal.value, joinPath(tp, 'literal.value'), p) : undefined;
    const env = isObject(t.environment) ? readString(t.environment.name, joinPath(tp, 'environment.name'), p) : undefined;
    const hdr = isObject(t.request_header) ? readString(t.request_header.name, joinPath(tp, 'request_header.name'), p)?.toLowerCase() : undefined;
    const dflt = isObject(t.environment) ? t.environment.default_value : isObject(t.request_header) ? t.request_header.default_value : undefined;
    customTags.push({ tag, ...(lit !== undefined ? { literal: lit } : {}), ...(env ? { environment: env } : {}), ...(hdr ? { requestHeader: hdr } : {}), ...(typeof dflt === 'string' ? { defaultValue: dflt } : {}) });
  });
  const random = percent('random_sampling');
  const client = percent('client_sampling');
  const overall = percent('overall_sampling');
  return {
    ...(random !== undefined ? { randomSamplingPercent: random } : {}),
    ...(client !== undefined ? { clientSamplingPercent: client } : {}),
    ...(overall !== undefined ? { overallSamplingPercent: overall } : {}),
    customTags,
    spawnUpstreamSpan: readBool(m.spawn_upstream_span, joinPath(path, 'spawn_upstream_span'), p) ?? false,
    raw: m,
  };
}

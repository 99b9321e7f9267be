import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { CodecError, decodeAny, decodeMessage, encodeAny, encodeMessage, grpcObjectToJson } from '../../src/xds/any-codec';
import { ADS_SERVICE_NAME, adsService } from '../../src/xds/protos';
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  CLUSTER_TYPE_URL,
  HTTP_CONNECTION_MANAGER_TYPE_URL,
  HTTP_FAULT_TYPE_URL,
  LISTENER_TYPE_URL,
  RESOURCE_TYPE_ORDER,
  ROUTE_CONFIGURATION_TYPE_URL,
  ROUTER_TYPE_URL,
  UPSTREAM_HTTP_PROTOCOL_OPTIONS_TYPE_URL,
} from '../../src/xds/type-urls';

type Json = Record<string, unknown>;

// ------------------------------------------------------------------ helpers

/** Keys below these are map keys or Struct keys, never field names. */
const OPAQUE_KEYS = new Set(['filter_metadata', 'typed_per_filter_config', 'typed_extension_protocol_options', 'fields']);

/** lowerCamelCase field names → snake_case, as the decoder writes them. */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (typeof v !== 'object' || v === null) return v;
  const out: Json = {};
  for (const [k, val] of Object.entries(v)) {
    const key = /^[a-z][a-z0-9]*[A-Z]/.test(k) ? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : k;
    out[key] = OPAQUE_KEYS.has(key) ? snakeValues(val) : snakeKeys(val);
  }
  return out;
}

function snakeValues(map: unknown): unknown {
  if (typeof map !== 'object' || map === null) return map;
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, snakeKeys(v)]));
}

function roundTrip(obj: Json): Json {
  return decodeAny(encodeAny(obj));
}

/** Minimal protobuf writer, independent of our .proto files, to pin field numbers on the wire. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const fieldVarint = (field: number, n: number): number[] => [...varint(field << 3), ...varint(n)];
const fieldBytes = (field: number, bytes: number[] | Buffer): number[] => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const fieldString = (field: number, s: string): number[] => fieldBytes(field, Buffer.from(s));

function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw err;
  }
  throw new Error('expected a CodecError');
}

// ------------------------------------------------------------------ fixtures

const mirrorPolicies = [
  {
    cluster: 'orders-shadow',
    runtime_fraction: { default_value: { numerator: 10 }, runtime_key: 'mirror.orders' },
    trace_sampled: false,
  },
  {
    clusterHeader: 'x-mirror-cluster',
    disableShadowHostSuffixAppend: true,
    requestHeadersMutations: [{ remove: 'authorization' }, { append: { header: { key: 'x-shadow', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } }],
    hostRewriteLiteral: 'orders.test',
  },
];

const inlineRouteConfig = {
  name: 'inline',
  virtual_hosts: [
    {
      name: 'orders',
      domains: ['orders.example.com', 'orders.example.com:*'],
      request_mirror_policies: [{ cluster: 'vhost-shadow' }],
      routes: [
        {
          name: 'canary',
          match: {
            prefix: '/api/',
            headers: [
              { name: 'x-canary', string_match: { exact: 'true' } },
              { name: 'x-debug', present_match: false },
              { name: 'x-tier', range_match: { start: '1', end: '10' }, invert_match: true },
              { name: ':method', string_match: { safe_regex: { regex: '^(GET|HEAD)$' } } },
            ],
            query_parameters: [{ name: 'v', string_match: { prefix: '2', ignore_case: true } }],
            runtime_fraction: { default_value: { numerator: 5000, denominator: 'TEN_THOUSAND' } },
          },
          route: {
            weighted_clusters: {
              clusters: [
                { name: 'orders-v1', weight: 90 },
                { name: 'orders-v2', weight: 10, request_headers_to_add: [{ header: { key: 'x-version', value: 'v2' } }] },
              ],
              header_name: 'x-split-seed',
            },
            timeout: '2.500s',
            idle_timeout: '0s',
            requestMirrorPolicies: mirrorPolicies,
            retry_policy: {
              retry_on: '5xx,reset',
              num_retries: 2,
              per_try_timeout: '0.250s',
              retriable_status_codes: [503],
              retry_back_off: { base_interval: '0.025s', max_interval: '0.250s' },
            },
            prefix_rewrite: '/v2/',
            hash_policy: [{ header: { header_name: 'x-user' }, terminal: true }],
          },
          decorator: { operation: 'orders-canary', propagate: false },
          typed_per_filter_config: {
            'envoy.filters.http.fault': {
              '@type': HTTP_FAULT_TYPE_URL,
              abort: { http_status: 503, percentage: { numerator: 1, denominator: 'MILLION' } },
            },
          },
        },
        { match: { safe_regex: { google_re2: {}, regex: '^/items/[0-9]+$' }, case_sensitive: false }, route: { cluster: 'items', cluster_not_found_response_code: 'NOT_FOUND' } },
        { match: { path: '/old' }, redirect: { path_redirect: '/new', response_code: 'PERMANENT_REDIRECT', https_redirect: true } },
        { match: { prefix: '/' }, direct_response: { status: 404, body: { inline_string: 'nope' } } },
      ],
    },
  ],
  request_headers_to_add: [{ header: { key: 'x-edge', value: 'sg' }, keep_empty_value: true }],
  validate_clusters: false,
};

const routerFilter = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL, suppress_envoy_headers: true } };

const listener: Json = {
  '@type': LISTENER_TYPE_URL,
  name: 'ingress_http',
  address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
  perConnectionBufferLimitBytes: 32768,
  filter_chains: [
    {
      filter_chain_match: { server_names: ['rds.example.com'] },
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HTTP_CONNECTION_MANAGER_TYPE_URL,
            stat_prefix: 'ingress_rds',
            codec_type: 'HTTP1',
            rds: { route_config_name: 'local_route', config_source: { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '15s' } },
            http_filters: [routerFilter],
            strip_any_host_port: true,
          },
        },
      ],
    },
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HTTP_CONNECTION_MANAGER_TYPE_URL,
            stat_prefix: 'ingress_inline',
            route_config: inlineRouteConfig,
            http_filters: [
              {
                name: 'envoy.filters.http.fault',
                typed_config: {
                  '@type': HTTP_FAULT_TYPE_URL,
                  delay: { fixed_delay: '0.100s', percentage: { numerator: 50 } },
                  max_active_faults: 100,
                },
                is_optional: true,
              },
              routerFilter,
            ],
            tracing: {
              random_sampling: { value: 12.5 },
              provider: {
                name: 'envoy.tracers.opentelemetry',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
                  grpc_service: { envoy_grpc: { cluster_name: 'otel' }, timeout: '0.250s' },
                  service_name: 'shadowgate',
                },
              },
            },
            common_http_protocol_options: { idle_timeout: '3600s', headers_with_underscores_action: 'REJECT_REQUEST' },
            stream_idle_timeout: '300s',
            request_timeout: '0.000001s',
            use_remote_address: true,
            generate_request_id: false,
            strip_matching_host_port: true,
          },
        },
      ],
    },
  ],
};

const staticCluster: Json = {
  '@type': CLUSTER_TYPE_URL,
  name: 'orders-v1',
  type: 'STATIC',
  connect_timeout: '0.250s',
  load_assignment: {
    cluster_name: 'orders-v1',
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9001 } } } }] }],
  },
};

const dnsCluster: Json = {
  '@type': CLUSTER_TYPE_URL,
  name: 'search',
  type: 'STRICT_DNS',
  dnsLookupFamily: 'V4_ONLY',
  dns_refresh_rate: '5s',
  lb_policy: 'LEAST_REQUEST',
  least_request_lb_config: { choice_count: 3 },
  load_assignment: {
    cluster_name: 'search',
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'search.internal', port_value: 443 } }, hostname: 'search.internal' } }] }],
  },
  health_checks: [
    {
      timeout: '1s',
      interval: '5s',
      unhealthy_threshold: 3,
      healthy_threshold: 2,
      http_health_check: { path: '/healthz', expected_statuses: [{ start: '200', end: '300' }] },
    },
  ],
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', value: 'EgtzZWFyY2guaW50ZXJuYWw=' },
  },
};

const edsCluster: Json = {
  '@type': CLUSTER_TYPE_URL,
  name: 'orders-v2',
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'orders-v2.default' },
  connect_timeout: '1s',
  per_connection_buffer_limit_bytes: 65536,
  circuit_breakers: {
    thresholds: [
      { max_connections: 1024, max_pending_requests: 256, max_requests: 2048, max_retries: 3, track_remaining: true },
      { priority: 'HIGH', max_connections: 4096, retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: 5 } },
    ],
    per_host_thresholds: [{ max_connections: 64 }],
  },
  outlier_detection: { consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50, successful_active_health_check_uneject_host: false },
  typed_extension_protocol_options: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': UPSTREAM_HTTP_PROTOCOL_OPTIONS_TYPE_URL,
      explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 100 } },
      common_http_protocol_options: { idle_timeout: '60s' },
    },
  },
  metadata: { filter_metadata: { 'envoy.lb': { canary: true, weight: 1.5, zones: ['a', 'b'], owner: null } } },
};

const loadAssignment: Json = {
  '@type': CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  cluster_name: 'orders-v2.default',
  endpoints: [
    {
      locality: { region: 'eu-west-1', zone: 'eu-west-1a' },
      lb_endpoints: [
        { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } }, health_status: 'HEALTHY', load_balancing_weight: 3 },
        {
          endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 8080 } }, health_check_config: { port_value: 9090 } },
          health_status: 'DRAINING',
          metadata: { filter_metadata: { 'envoy.lb': { version: 'v2' } } },
        },
      ],
      load_balancing_weight: 100,
    },
    { locality: { zone: 'eu-west-1b' }, priority: 1, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.1.1', port_value: 8080 } } } }] },
  ],
  policy: { overprovisioning_factor: 140, drop_overloads: [{ category: 'throttle', drop_percentage: { numerator: 5 } }] },
};

// ------------------------------------------------------------------ round trips

t.test('Listener with HCM (rds and inline route_config) round-trips', async (t) => {
  const decoded = roundTrip(listener);
  t.same(decoded, snakeKeys(listener));
  t.strictSame(Object.keys(decoded)[0], '@type', '"@type" comes first');
  const hcm = ((decoded.filter_chains as Json[])[1].filters as Json[])[0].typed_config as Json;
  const route = ((hcm.route_config as Json).virtual_hosts as Json[])[0];
  const canary = (route.routes as Json[])[0] as Json;
  const action = canary.route as Json;
  t.equal(action.timeout, '2.500s');
  t.equal(action.idle_timeout, '0s', 'a set Duration of zero is kept (Envoy: 0 disables, unset means default)');
  t.same((action.request_mirror_policies as Json[])[0], {
    cluster: 'orders-shadow',
    runtime_fraction: { default_value: { numerator: 10 }, runtime_key: 'mirror.orders' },
    trace_sampled: false,
  }, 'BoolValue false is kept');
  t.same(((canary.match as Json).headers as Json[])[1], { name: 'x-debug', present_match: false }, 'a oneof member set to false survives');
  t.same(((canary.match as Json).headers as Json[])[2].range_match, { start: '1', end: '10' }, 'int64 as strings');
  t.equal(hcm.request_timeout, '0.000001s');
});

t.test('Clusters round-trip: STATIC, STRICT_DNS, EDS', async (t) => {
  for (const cluster of [staticCluster, dnsCluster, edsCluster]) {
    t.same(roundTrip(cluster), snakeKeys(cluster), String(cluster.name));
  }
  const decoded = roundTrip({ ...staticCluster, lb_policy: 'ROUND_ROBIN' });
  t.equal(decoded.type, 'STATIC', 'type is in a oneof, so STATIC (0) is kept');
  t.equal(decoded.lb_policy, undefined, 'ROUND_ROBIN is the enum default and is omitted');
});

t.test('ClusterLoadAssignment round-trips', async (t) => {
  t.same(roundTrip(loadAssignment), loadAssignment);
});

t.test('encodeAny takes the type URL as an argument when the object has no @type', async (t) => {
  const { '@type': _ignored, ...plain } = edsCluster;
  const any = encodeAny(plain, CLUSTER_TYPE_URL);
  t.equal(any.type_url, CLUSTER_TYPE_URL);
  t.ok(Buffer.isBuffer(any.value));
  t.same(decodeAny(any), snakeKeys(edsCluster));
  t.match(codecError(() => encodeAny(listener, CLUSTER_TYPE_URL)).message, /^@type: is ".*Listener" but a .*Cluster was expected$/);
});

t.test('explicit defaults are dropped, as proto3 does on the wire', async (t) => {
  const decoded = roundTrip({
    '@type': CLUSTER_TYPE_URL,
    name: 'c',
    lb_policy: 'ROUND_ROBIN',
    respect_dns_ttl: false,
    alt_stat_name: '',
    circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_retries: 0 }] },
    load_assignment: { cluster_name: 'c', policy: { drop_overloads: [{ category: 'x', drop_percentage: { numerator: 1, denominator: 'HUNDRED' } }] } },
  });
  t.same(decoded, {
    '@type': CLUSTER_TYPE_URL,
    name: 'c',
    circuit_breakers: { thresholds: [{ max_retries: 0 }] },
    load_assignment: { cluster_name: 'c', policy: { drop_overloads: [{ category: 'x', drop_percentage: { numerator: 1 } }] } },
  }, 'UInt32Value 0 is kept: a set wrapper is not a default');
});

// ------------------------------------------------------------------ field numbers on the wire

t.test('field numbers match Envoy (bytes written by hand, not by our .proto)', async (t) => {
  // RouteAction.RequestMirrorPolicy: cluster=1, cluster_header=5, disable_shadow_host_suffix_append=6, host_rewrite_literal=8.
  const mirror = Buffer.from([...fieldString(1, 'shadow'), ...fieldVarint(6, 1), ...fieldString(8, 'h.test')]);
  t.same(decodeMessage('envoy.config.route.v3.RouteAction.RequestMirrorPolicy', mirror), {
    cluster: 'shadow',
    disable_shadow_host_suffix_append: true,
    host_rewrite_literal: 'h.test',
  });
  t.same(
    [...encodeMessage('envoy.config.route.v3.RouteAction.RequestMirrorPolicy', { disable_shadow_host_suffix_append: true })],
    fieldVarint(6, 1),
  );

  // RouteAction.request_mirror_policies = 30, trace_sampled = 4 (BoolValue{value=1}).
  const action = Buffer.from(fieldBytes(30, [...fieldString(5, 'x-mirror'), ...fieldBytes(4, fieldVarint(1, 1))]));
  t.same(decodeMessage('envoy.config.route.v3.RouteAction', action), {
    request_mirror_policies: [{ cluster_header: 'x-mirror', trace_sampled: true }],
  });

  // HttpConnectionManager: stat_prefix=2, rds=3 {route_config_name=2, config_source=1 {ads=3}}, strip_any_host_port=42.
  const hcm = Buffer.from([
    ...fieldString(2, 'ingress'),
    ...fieldBytes(3, [...fieldBytes(1, fieldBytes(3, [])), ...fieldString(2, 'local_route')]),
    ...fieldVarint(42, 1),
  ]);
  t.same(decodeAny({ type_url: HTTP_CONNECTION_MANAGER_TYPE_URL, value: hcm }), {
    '@type': HTTP_CONNECTION_MANAGER_TYPE_URL,
    stat_prefix: 'ingress',
    rds: { config_source: { ads: {} }, route_config_name: 'local_route' },
    strip_any_host_port: true,
  });

  // Cluster: name=1, type=2 (EDS=3), connect_timeout=4 (Duration seconds=1 nanos=2), load_assignment=33.
  const cluster = Buffer.from([
    ...fieldString(1, 'c'),
    ...fieldVarint(2, 3),
    ...fieldBytes(4, [...fieldVarint(1, 1), ...fieldVarint(2, 500_000_000)]),
    ...fieldBytes(33, fieldString(1, 'c')),
  ]);
  t.same(decodeAny({ type_url: CLUSTER_TYPE_URL, value: cluster }), {
    '@type': CLUSTER_TYPE_URL,
    name: 'c',
    type: 'EDS',
    connect_timeout: '1.500s',
    load_assignment: { cluster_name: 'c' },
  });
});

t.test('unknown fields in the bytes are skipped', async (t) => {
  const bytes = Buffer.from([
    ...fieldString(1, 'orders'),
    ...fieldVarint(999, 7), // varint field from a newer Envoy
    ...fieldString(998, 'future'), // length-delimited field from a newer Envoy
    ...fieldVarint(6, 1), // lb_policy LEAST_REQUEST
  ]);
  t.same(decodeAny({ type_url: CLUSTER_TYPE_URL, value: bytes }), { '@type': CLUSTER_TYPE_URL, name: 'orders', lb_policy: 'LEAST_REQUEST' });
});

// ------------------------------------------------------------------ unknown types and errors

t.test('an unknown top-level type URL throws, naming the URL', async (t) => {
  const err = codecError(() => decodeAny({ type_url: 'type.googleapis.com/acme.Widget', value: Buffer.alloc(0) }));
  t.match(err.message, /acme\.Widget/);
  t.match(codecError(() => encodeAny({ '@type': 'type.googleapis.com/acme.Widget', size: 1 })).message, /^@type: unknown type URL "type.googleapis.com\/acme.Widget"/);
});

t.test('a nested Any of an unknown type is kept opaque and round-trips', async (t) => {
  const decoded = roundTrip(dnsCluster);
  t.same((decoded.transport_socket as Json).typed_config, (dnsCluster.transport_socket as Json).typed_config);
  const err = codecError(() => decodeAny(encodeAny(dnsCluster), { unknownNestedAny: 'error' }));
  t.equal(err.path, 'transport_socket.typed_config');
  t.match(err.reason, /UpstreamTlsContext/);
});

t.test('encodeAny errors name the field path and the reason', async (t) => {
  const route = (match: unknown): Json => ({
    '@type': ROUTE_CONFIGURATION_TYPE_URL,
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a' } }, { match, route: { cluster: 'b' } }] }],
  });
  const cases: Array<[string, unknown, string]> = [
    ['wrong scalar type', { prefix: 7 }, 'virtual_hosts[0].routes[1].match.prefix: expected string, got number 7'],
    ['unknown field', { prefx: '/' }, 'virtual_hosts[0].routes[1].match.prefx: unknown field for envoy.config.route.v3.RouteMatch'],
    ['two oneof members', { prefix: '/', path: '/a' }, 'virtual_hosts[0].routes[1].match: only one of prefix, path may be set'],
    ['same field twice', { case_sensitive: true, caseSensitive: false, prefix: '/' }, 'virtual_hosts[0].routes[1].match.caseSensitive: field given twice (also as "case_sensitive")'],
    ['list expected', { prefix: '/', headers: { name: 'x' } }, 'virtual_hosts[0].routes[1].match.headers: expected a list, got an object'],
    ['bad enum', { prefix: '/', runtime_fraction: { default_value: { denominator: 'THOUSAND' } } },
      'virtual_hosts[0].routes[1].match.runtime_fraction.default_value.denominator: expected one of HUNDRED, TEN_THOUSAND, MILLION, got string "THOUSAND"'],
    ['wrapper type', { prefix: '/', case_sensitive: 'yes' }, 'virtual_hosts[0].routes[1].match.case_sensitive: expected true or false, got string "yes"'],
    ['int64 garbage', { prefix: '/', headers: [{ name: 'x', range_match: { start: '1.5' } }] },
      'virtual_hosts[0].routes[1].match.headers[0].range_match.start: expected an integer, got string "1.5"'],
  ];
  for (const [name, match, message] of cases) {
    const err = codecError(() => encodeAny(route(match)));
    t.equal(err.message, message, name);
  }
  const neg = codecError(() => encodeAny({ '@type': LISTENER_TYPE_URL, address: { socket_address: { port_value: -1 } } }));
  t.equal(neg.message, 'address.socket_address.port_value: -1 is out of range for uint32');
  const big = codecError(() => encodeAny({ '@type': LISTENER_TYPE_URL, address: { socket_address: { port_value: 2 ** 32 } } }));
  t.equal(big.message, 'address.socket_address.port_value: 4294967296 is out of range for uint32');
  const dur = codecError(() => encodeAny({ ...staticCluster, connect_timeout: '250ms' }));
  t.equal(dur.message, 'connect_timeout: expected a duration string such as "1.5s" or "15s", got string "250ms"');
  const nested = codecError(() => encodeAny({ ...edsCluster, typed_extension_protocol_options: { x: { '@type': UPSTREAM_HTTP_PROTOCOL_OPTIONS_TYPE_URL, explicit_http_config: { http2: {} } } } }));
  t.equal(nested.message, 'typed_extension_protocol_options.x.explicit_http_config.http2: unknown field for envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig');
});

t.test('ignoreUnknownFields drops keys that are not fields', async (t) => {
  const any = encodeAny({ '@type': CLUSTER_TYPE_URL, name: 'c', not_a_field: 1 }, undefined, { ignoreUnknownFields: true });
  t.same(decodeAny(any), { '@type': CLUSTER_TYPE_URL, name: 'c' });
});

// ------------------------------------------------------------------ well-known types

t.test('well-known types use their proto3 JSON forms', async (t) => {
  const durations = ['15s', '1.500s', '0.000001s', '0.000000001s', '-1.500s', '315576000000s'];
  for (const d of durations) {
    t.equal(roundTrip({ ...staticCluster, connect_timeout: d }).connect_timeout, d, d);
  }
  t.equal(roundTrip({ ...staticCluster, connect_timeout: '1.5s' }).connect_timeout, '1.500s', 'canonical 3/6/9 digits');
  const dump = { '@type': 'type.googleapis.com/envoy.admin.v3.UpdateFailureState', last_update_attempt: '2024-02-29T12:34:56.789Z', details: 'x' };
  t.same(roundTrip(dump), dump, 'Timestamp as RFC 3339');
  t.equal(roundTrip({ ...dump, last_update_attempt: '2024-02-29T13:34:56+01:00' }).last_update_attempt, '2024-02-29T12:34:56Z');
  const header = { '@type': 'type.googleapis.com/envoy.config.core.v3.HeaderValue', key: 'k', raw_value: Buffer.from('\u00ff\u0001').toString('base64') };
  t.same(roundTrip(header), header, 'bytes as base64');
  const wrapped = { '@type': 'type.googleapis.com/google.protobuf.UInt32Value', value: 7 };
  t.same(roundTrip(wrapped), wrapped, 'a wrapper inside an Any is {"@type", "value"}');
  const struct = { '@type': 'type.googleapis.com/google.protobuf.Struct', value: { a: [1, { b: null }], c: 'd' } };
  t.same(roundTrip(struct), struct);
  const { connect_timeout: _timeout, ...withoutTimeout } = staticCluster;
  t.same(roundTrip({ ...staticCluster, connect_timeout: null }), withoutTimeout, 'null means unset');
});

// ------------------------------------------------------------------ gRPC service

t.test('the ADS service definition has both methods', async (t) => {
  const { definition, Client } = adsService();
  t.equal(typeof Client, 'function');
  const sotw = definition.StreamAggregatedResources;
  const delta = definition.DeltaAggregatedResources;
  t.equal(sotw.path, `/${ADS_SERVICE_NAME}/StreamAggregatedResources`);
  t.equal(delta.path, `/${ADS_SERVICE_NAME}/DeltaAggregatedResources`);
  for (const m of [sotw, delta]) {
    t.ok(m.requestStream && m.responseStream, `${m.path} is bidirectional`);
  }
  t.same(RESOURCE_TYPE_ORDER, [CLUSTER_TYPE_URL, CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL]);
});

t.test('resources survive a real grpc-js ADS stream', async (t) => {
  const { definition, Client } = adsService();
  const server = new grpc.Server();
  let receivedNode: Json | undefined;
  server.addService(definition, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<Json, Json>) => {
      call.on('data', (req: Json) => {
        receivedNode = grpcObjectToJson('envoy.config.core.v3.Node', req.node);
        call.write({ version_info: '1', type_url: CLUSTER_TYPE_URL, nonce: 'n1', resources: [encodeAny(edsCluster)] });
      });
      call.on('end', () => call.end());
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Json, Json>) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  t.teardown(() => server.forceShutdown());
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());

  const stream = (client as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<Json, Json> }).StreamAggregatedResources();
  const response = await new Promise<Json>((resolve, reject) => {
    stream.on('data', resolve);
    stream.on('error', reject);
    stream.write({
      type_url: CLUSTER_TYPE_URL,
      node: { id: 'gw-1', cluster: 'edge', metadata: encodeStruct({ zone: 'a', replicas: 2 }), user_agent_name: 'shadowgate' },
    });
  });
  stream.end();

  t.equal(response.nonce, 'n1');
  const resources = response.resources as Array<{ type_url: string; value: Buffer }>;
  t.ok(Buffer.isBuffer(resources[0].value), 'Any.value arrives as a Buffer');
  t.same(decodeAny(resources[0]), snakeKeys(edsCluster));
  t.same(receivedNode, { id: 'gw-1', cluster: 'edge', metadata: { zone: 'a', replicas: 2 }, user_agent_name: 'shadowgate' });
});

/** A Struct in the object form grpc-js expects (protobufjs's bundled Value uses camelCase names). */
function encodeStruct(obj: Record<string, string | number>): Json {
  const fields: Json = {};
  for (const [k, v] of Object.entries(obj)) fields[k] = typeof v === 'number' ? { numberValue: v } : { stringValue: v };
  return { fields };
}

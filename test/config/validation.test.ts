/**
 * Config validation, table-driven: every rejection names the field path (as written in Envoy YAML) and
 * the reason; several problems are reported at once; what Envoy accepts, we accept (camelCase keys,
 * RDS route configs naming clusters that are not there yet). Pure: no servers.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadBootstrapText } from '../../src/config/bootstrap';
import { ConfigError, formatProblem } from '../../src/config/problems';
import { validateResources } from '../../src/config/snapshot';
import { HCM_TYPE, ROUTER_TYPE } from '../../src/config/type-urls';

// The same shapes as test/helpers/gateway.ts builds, local so this pure test does not load the gateway.
const staticCluster = (name: string, ports: number[], extra: object = {}): object => ({
  name,
  type: 'STATIC',
  connect_timeout: '1s',
  load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })) }] },
  ...extra,
});
const httpListener = (name: string, rc: object, hcmExtra: object = {}, port = 0): object => ({
  name,
  address: { socket_address: { address: '127.0.0.1', port_value: port } },
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: {
    '@type': HCM_TYPE, stat_prefix: name, route_config: rc,
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
    ...hcmExtra,
  } }] }],
});
const bootstrapWith = (listeners: object[], clusters: object[]): object => ({ node: { id: 'test-node', cluster: 'test' }, static_resources: { listeners, clusters } });
const routeConfig = (routes: object[], extra: object = {}): object => ({ name: 'local_route', virtual_hosts: [{ name: 'vh', domains: ['*'], routes }], ...extra });

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'envoy');
const HCM = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
const RC = `${HCM}.route_config`;
const ROUTE0 = `${RC}.virtual_hosts[0].routes[0]`;

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Problem lines of a bootstrap (object or YAML text); [] when it loads. */
function problemsOf(doc: Doc | string, source = 'bootstrap.yaml'): { lines: string[]; warnings: string[] } {
  try {
    const b = loadBootstrapText(typeof doc === 'string' ? doc : stringify(doc), source);
    return { lines: [], warnings: b.warnings.map(formatProblem) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { lines: err.problems.map(formatProblem), warnings: err.warnings.map(formatProblem) };
  }
}

/** A valid bootstrap: one listener with an inline route config routing to clusters a and b. */
function base(routes: object[] = [{ match: { prefix: '/' }, route: { cluster: 'a' } }], rcExtra: object = {}, hcmExtra: object = {}): Doc {
  return bootstrapWith([httpListener('ingress', routeConfig(routes, rcExtra), hcmExtra)], [staticCluster('a', [1]), staticCluster('b', [2])]) as Doc;
}

const route = (action: object, match: object = { prefix: '/' }) => [{ match, ...action }];
const filter = (name: string, type: string, extra: object = {}) => ({ name, typed_config: { '@type': type }, ...extra });
const ROUTER = filter('envoy.filters.http.router', ROUTER_TYPE);

/** [case, bootstrap, expected problem lines (exact strings or patterns), in order]. */
const REJECTED: [string, Doc | string, (string | RegExp)[]][] = [
  ['invalid YAML names the line', 'static_resources:\n  clusters:\n  - name: a\n    type: [STATIC\n  - name: b\n', [/^bootstrap\.yaml:5:\d+: invalid YAML: /]],
  ['duplicate YAML keys', 'node:\n  id: a\n  id: b\n', [/^bootstrap\.yaml:3:3: invalid YAML: Map keys must be unique/]],
  ['unknown field', base(route({ route: { cluster: 'a', clustr: 'b' } })), [`${ROUTE0}.route.clustr: unknown field`]],
  ['unknown top-level field', { ...base(), statics: {} }, ['statics: unknown field']],
  ['unsupported field', base(route({ route: { cluster: 'a', retry_policy: { retry_on: '5xx' } } })), [`${ROUTE0}.route.retry_policy: field is not supported by shadowgate yet`]],
  ['unsupported cluster field', (() => { const d = base(); d.static_resources.clusters[0].health_checks = []; return d; })(), ['static_resources.clusters[0].health_checks: field is not supported by shadowgate yet']],
  ['wrong @type for the HCM', (() => { const d = base(); d.static_resources.listeners[0].filter_chains[0].filters[0].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'; return d; })(),
    [`${HCM}.@type: expected ${HCM_TYPE}, got "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"`]],
  ['missing @type', (() => { const d = base(); delete d.static_resources.listeners[0].filter_chains[0].filters[0].typed_config['@type']; return d; })(), [`${HCM}.@type: is required`]],
  ['unknown cluster (inline route config: validate_clusters defaults to true)', base(route({ route: { cluster: 'nope' } })), [`${ROUTE0}.route.cluster: route: unknown cluster 'nope'`]],
  ['unknown weighted cluster', base(route({ route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'ghost', weight: 1 }] } } })),
    [`${ROUTE0}.route.weighted_clusters.clusters[1]: route: unknown weighted cluster 'ghost'`]],
  ['unknown shadow cluster', base(route({ route: { cluster: 'a', request_mirror_policies: [{ cluster: 'shadow' }] } })),
    [`${ROUTE0}.route.request_mirror_policies[0].cluster: route: unknown shadow cluster 'shadow'`]],
  ['invalid regex in a path match', base(route({ route: { cluster: 'a' } }, { safe_regex: { regex: '/(a' } })), [/^.*routes\[0\]\.match\.safe_regex\.regex: invalid regex: .*missing closing \)/]],
  ['invalid regex in a header matcher', base(route({ route: { cluster: 'a' } }, { prefix: '/', headers: [{ name: 'x', string_match: { safe_regex: { regex: '[' } } }] })),
    [/routes\[0\]\.match\.headers\[0\]\.string_match\.safe_regex\.regex: invalid regex: /]],
  ['backreferences are not RE2', base(route({ route: { cluster: 'a' } }, { safe_regex: { regex: '(a)\\1' } })), [/match\.safe_regex\.regex: invalid regex: /]],
  ['invalid regex in regex_rewrite', base(route({ route: { cluster: 'a', regex_rewrite: { pattern: { regex: '*' }, substitution: '' } } })), [/route\.regex_rewrite\.pattern\.regex: invalid regex: /]],
  ['weights summing to zero', base(route({ route: { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] } } })),
    [`${ROUTE0}.route.weighted_clusters: Sum of weights in the weighted_cluster must be greater than 0.`]],
  ['a negative weight', base(route({ route: { weighted_clusters: { clusters: [{ name: 'a', weight: -1 }, { name: 'b', weight: 5 }] } } })),
    [`${ROUTE0}.route.weighted_clusters.clusters[0].weight: must not be negative, got -1`]],
  ['a missing weight', base(route({ route: { weighted_clusters: { clusters: [{ name: 'a' }] } } })), [`${ROUTE0}.route.weighted_clusters.clusters[0].weight: is required`]],
  ['a weight above uint32', base(route({ route: { weighted_clusters: { clusters: [{ name: 'a', weight: 4294967296 }] } } })), [/clusters\[0\]\.weight: must be at most 4294967295/]],
  ['a duplicate domain across virtual hosts', base([], { virtual_hosts: [{ name: 'one', domains: ['a.com', 'b.com'] }, { name: 'two', domains: ['B.com'] }] }),
    [`${RC}.virtual_hosts[1].domains[0]: Only unique values for domains are permitted. Duplicate entry of domain b.com in route local_route`]],
  ['two "*" domains', base([], { virtual_hosts: [{ name: 'one', domains: ['*'] }, { name: 'two', domains: ['*'] }] }),
    [`${RC}.virtual_hosts[1].domains[0]: Only a single wildcard domain is permitted in route local_route`]],
  ['a wildcard in the middle of a domain', base([], { virtual_hosts: [{ name: 'one', domains: ['a.*.com'] }] }), [`${RC}.virtual_hosts[0].domains[0]: wildcard "*" is only allowed at the start or the end: "a.*.com"`]],
  ['duplicate listener ports', bootstrapWith([httpListener('one', routeConfig([]), {}, 18000), httpListener('two', routeConfig([]), {}, 18000)], []) as Doc,
    ['static_resources.listeners[1].address: listener "two" uses 127.0.0.1:18000, already used by listener "one"']],
  ['duplicate listener names', bootstrapWith([httpListener('same', routeConfig([])), httpListener('same', routeConfig([]))], []) as Doc, ['static_resources.listeners[1].name: duplicate listener name "same"']],
  ['duplicate cluster names', bootstrapWith([], [staticCluster('c', [1]), staticCluster('c', [2])]) as Doc, ['static_resources.clusters[1].name: duplicate cluster name "c"']],
  ['"250ms" is not a proto3 JSON duration', base(route({ route: { cluster: 'a', timeout: '250ms' } })), [`${ROUTE0}.route.timeout: expected a duration such as "1.5s", got string "250ms"`]],
  ['a negative duration', (() => { const d = base(); d.static_resources.clusters[0].connect_timeout = '-1s'; return d; })(), ['static_resources.clusters[0].connect_timeout: duration must not be negative, got "-1s"']],
  ['a number is not a duration', base(route({ route: { cluster: 'a', timeout: 5 } })), [`${ROUTE0}.route.timeout: expected a duration such as "1.5s", got number`]],
  ['no router filter', base(undefined, {}, { http_filters: [filter('envoy.filters.http.fault', 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault')] }),
    [`${HCM}.http_filters: the last filter must be envoy.filters.http.router`]],
  ['the router not last', base(undefined, {}, { http_filters: [ROUTER, filter('envoy.filters.http.fault', 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault')] }),
    [`${HCM}.http_filters[0]: the router filter must be the last filter in http_filters`]],
  ['an unknown, non-optional http filter', base(undefined, {}, { http_filters: [filter('envoy.filters.http.cors', 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors'), ROUTER] }),
    [`${HCM}.http_filters[0].typed_config: Didn't find a registered implementation for 'envoy.filters.http.cors' with type URL: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors'`]],
  ['a direct_response body over 4 KiB', base(route({ direct_response: { status: 200, body: { inline_string: 'x'.repeat(4097) } } })),
    [`${ROUTE0}.direct_response.body: response body size is 4097 bytes; maximum is 4096`]],
  ['a direct_response status out of range', base(route({ direct_response: { status: 99 } })), [`${ROUTE0}.direct_response.status: must be between 200 and 599, got 99`]],
  ['two path specifiers', base(route({ route: { cluster: 'a' } }, { prefix: '/', path: '/x' })), [`${ROUTE0}.match: only one of prefix, path may be set`]],
  ['no action', base([{ match: { prefix: '/' } }]), [`${ROUTE0}: one of route, redirect, direct_response is required`]],
  ['no stat_prefix', (() => { const d = base(); delete d.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stat_prefix; return d; })(), [`${HCM}.stat_prefix: is required`]],
  ['an unknown enum value', (() => { const d = base(); d.static_resources.clusters[0].lb_policy = 'FASTEST'; return d; })(), [/^static_resources\.clusters\[0\]\.lb_policy: expected one of ROUND_ROBIN, LEAST_REQUEST/]],
  ['an unsupported lb_policy', (() => { const d = base(); d.static_resources.clusters[0].lb_policy = 'MAGLEV'; return d; })(), ['static_resources.clusters[0].lb_policy: MAGLEV is not supported by shadowgate yet (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)']],
  ['a port out of range', (() => { const d = base(); d.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 70000; return d; })(),
    ['static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: must be at most 65535, got 70000']],
  ['path_separated_prefix ending in "/"', base(route({ route: { cluster: 'a' } }, { path_separated_prefix: '/api/' })), [`${ROUTE0}.match.path_separated_prefix: must start with "/", must not contain "?" or "#" and must not end with "/"`]],
  ['prefix_rewrite with safe_regex', base(route({ route: { cluster: 'a', prefix_rewrite: '/' } }, { safe_regex: { regex: '/x' } })), [`${ROUTE0}.route.prefix_rewrite: Cannot use prefix_rewrite with matcher: safe_regex`]],
  ['header names that cannot be modified', base(route({ route: { cluster: 'a' }, request_headers_to_add: [{ header: { key: ':path', value: '/' } }], request_headers_to_remove: ['host'] })),
    [`${ROUTE0}.request_headers_to_add[0].header.key: ":path" cannot be modified this way`, `${ROUTE0}.request_headers_to_remove[0]: "host" cannot be removed`]],
  // A route dropped for its own problem must not shift the paths of the routes after it.
  ['paths keep their config index after a rejected entry', base([{ match: { prefix: '/' }, route: { cluster: 'a', timeout: 'soon' } }, { match: { prefix: '/' } }, { match: { prefix: '/' }, route: { cluster: 'gone' } }]),
    [`${ROUTE0}.route.timeout: expected a duration such as "1.5s", got string "soon"`, `${RC}.virtual_hosts[0].routes[1]: one of route, redirect, direct_response is required`,
      `${RC}.virtual_hosts[0].routes[2].route.cluster: route: unknown cluster 'gone'`]],
  ['every problem is reported at once', (() => {
    const d = base(route({ route: { cluster: 'nope', timeout: '1m' } }));
    d.static_resources.clusters[1].connect_timeout = 'fast';
    d.static_resources.listeners[0].bogus = true;
    return d;
  })(), [
    'static_resources.listeners[0].bogus: unknown field',
    `${ROUTE0}.route.timeout: expected a duration such as "1.5s", got string "1m"`,
    'static_resources.clusters[1].connect_timeout: expected a duration such as "1.5s", got string "fast"',
    `${ROUTE0}.route.cluster: route: unknown cluster 'nope'`,
  ]],
];

t.test('rejected configurations name the field path and the reason', async (t) => {
  for (const [name, doc, want] of REJECTED) {
    const { lines } = problemsOf(doc);
    t.equal(lines.length, want.length, `${name}: ${want.length} problem(s), got ${JSON.stringify(lines)}`);
    want.forEach((w, i) => {
      if (typeof w === 'string') t.equal(lines[i], w, name);
      else t.match(lines[i] ?? '', w, name);
    });
  }
});

t.test('accepted configurations', async (t) => {
  const ok = (name: string, doc: Doc | string): void => {
    const { lines } = problemsOf(doc);
    t.same(lines, [], name);
  };
  ok('the valid fixture (two listeners, weighted split, regex, direct response)', readFileSync(path.join(FIXTURES, 'valid-bootstrap.yaml'), 'utf8'));
  ok('inline route config with validate_clusters: false may name unknown clusters', base(route({ route: { cluster: 'later' } }), { validate_clusters: false }));
  ok('cluster_header is never validated', base(route({ route: { cluster_header: 'x-cluster' } })));
  ok('a weight of 0 next to a positive one', base(route({ route: { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 1 }] } } })));
  ok('weights as proto3 JSON strings and wrappers', base(route({ route: { weighted_clusters: { clusters: [{ name: 'a', weight: '80' }, { name: 'b', weight: { value: 20 } }] } } })));
  ok('durations with fractions', base(route({ route: { cluster: 'a', timeout: '0.250s' } })));
  ok('a direct_response body of exactly 4 KiB', base(route({ direct_response: { status: 200, body: { inline_string: 'x'.repeat(4096) } } })));
  ok('no http_filters at all (shadowgate adds the router)', base(undefined, {}, { http_filters: undefined }));
  ok('an empty document', '');

  t.test('an unknown http filter with is_optional is skipped with a warning', async (t) => {
    const { lines, warnings } = problemsOf(base(undefined, {}, { http_filters: [filter('envoy.filters.http.cors', 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors', { is_optional: true }), ROUTER] }));
    t.same(lines, []);
    t.same(warnings, [`${HCM}.http_filters[0]: optional filter envoy.filters.http.cors (type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors) is not supported by shadowgate and is skipped`]);
  });

  t.test('camelCase (proto3 JSON) keys mean the same as snake_case', async (t) => {
    const camel = {
      staticResources: {
        listeners: [{
          name: 'ingress',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          filterChains: [{ filters: [{ name: 'hcm', typedConfig: {
            '@type': HCM_TYPE,
            statPrefix: 'in',
            useRemoteAddress: true,
            xffNumTrustedHops: 2,
            routeConfig: { validateClusters: true, virtualHosts: [{ name: 'v', domains: ['*'], routes: [{
              match: { pathSeparatedPrefix: '/api', caseSensitive: false },
              route: { weightedClusters: { clusters: [{ name: 'a', weight: 3, requestHeadersToAdd: [{ header: { key: 'x', value: 'y' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }] }] }, prefixRewrite: '/', timeout: '2s' },
            }] }] },
            httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER_TYPE, suppressEnvoyHeaders: true } }],
          } }] }],
        }],
        clusters: [{ name: 'a', connectTimeout: '1s', lbPolicy: 'LEAST_REQUEST', loadAssignment: { clusterName: 'a', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: 1 } } } }] }] } }],
      },
    };
    const b = loadBootstrapText(JSON.stringify(camel), 'camel.json');
    const l = b.staticSnapshot.listeners[0];
    t.equal(l.hcm.useRemoteAddress, true);
    t.equal(l.hcm.xffNumTrustedHops, 2);
    t.equal(l.hcm.suppressEnvoyHeaders, true);
    const rc = l.hcm.routeSource.kind === 'inline' ? l.hcm.routeSource.config : undefined;
    const r = rc!.virtualHosts[0].routes[0];
    t.equal(r.match.pathKind, 'path_separated_prefix');
    t.equal(r.match.caseSensitive, false);
    t.equal(r.action.kind === 'route' && r.action.timeoutMs, 2000);
    t.equal(r.action.kind === 'route' && r.action.prefixRewrite, '/');
    const spec = r.action.kind === 'route' ? r.action.cluster : undefined;
    t.equal(spec?.kind === 'weighted' && spec.clusters[0].requestHeadersToAdd[0].appendAction, 'OVERWRITE_IF_EXISTS_OR_ADD');
    t.equal(b.staticSnapshot.clusters.get('a')?.lbPolicy, 'LEAST_REQUEST');
  });
});

t.test('route configurations delivered by RDS: validate_clusters defaults to false', async (t) => {
  const clusters = [staticCluster('a', [1])];
  const rds = (extra: object = {}) => routeConfig([{ match: { prefix: '/' }, route: { cluster: 'later' } }], extra);
  const accepted = validateResources({ routes: [rds()], clusters });
  t.same(accepted.problems, [], 'unknown cluster accepted (a request gets 503 until it arrives)');
  t.ok(accepted.snapshot);
  const rejected = validateResources({ routes: [rds({ validate_clusters: true })], clusters });
  t.same(rejected.problems.map(formatProblem), ["routes[0].virtual_hosts[0].routes[0].route.cluster: route: unknown cluster 'later'"]);
  const weighted = validateResources({ routes: [routeConfig([{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'x', weight: 1 }] } } }], { validate_clusters: true })], clusters });
  t.same(weighted.problems.map(formatProblem), ["routes[0].virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0]: route: unknown weighted cluster 'x'"]);
});

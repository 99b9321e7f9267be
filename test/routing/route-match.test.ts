/**
 * Route matching as Envoy does it, through a running gateway to real upstreams:
 * - virtual-host selection by Host (RouteMatcher::findVirtualHost): exact, then the longest `*.suffix`,
 *   then the longest `prefix.*`, then `*`; a wildcard covers at least one character; the port is part of
 *   the host unless strip_any_host_port / strip_matching_host_port / ignore_port_in_host_matching;
 * - route selection inside a virtual host (VirtualHostImpl::getRouteFromEntries): routes in order, first
 *   match wins, every condition AND-ed: path specifiers, header matchers (HeaderUtility::matchHeaders and
 *   its missing-header rules), query parameter matchers, runtime_fraction.
 * The virtual host / route that matched names itself in a header.
 */
import t from 'tap';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, staticCluster, startGateway } from '../helpers/gateway';
import { send } from '../helpers/http';

function vhostNamed(name: string, domains: string[]): object {
  return {
    name,
    domains,
    routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }],
    request_headers_to_add: [{ header: { key: 'x-vhost', value: name } }],
    response_headers_to_add: [{ header: { key: 'x-vhost', value: name } }],
  };
}

const VHOSTS = [
  vhostNamed('exact', ['www.example.com']),
  vhostNamed('suffix-long', ['*.api.example.com']),
  vhostNamed('suffix-short', ['*.example.com']),
  vhostNamed('suffix-dash', ['*-bar.foo.com']),
  vhostNamed('prefix-short', ['api.*']),
  vhostNamed('prefix-long', ['api.v2.*']),
  vhostNamed('with-port', ['ported.com:8080']),
  vhostNamed('port-wildcard', ['wild.com:*']),
  vhostNamed('mixed-case', ['MiXeD.CoM']),
  vhostNamed('ipv6', ['[::1]']),
  vhostNamed('default', ['*']),
];

t.test('virtual host selection', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const rc = (extra: object = {}) => ({ name: 'rc', virtual_hosts: VHOSTS, ...extra });
  const gw = await startGateway(bootstrapWith(
    [
      httpListener('plain', rc()),
      httpListener('strip_any', rc(), { strip_any_host_port: true }),
      httpListener('strip_matching', rc(), { strip_matching_host_port: true }),
      httpListener('ignore_port', rc({ ignore_port_in_host_matching: true })),
    ],
    [staticCluster('up', [up.port])],
  ));
  t.teardown(() => gw.close());
  const base = (listener: string) => `http://127.0.0.1:${gw.port(listener)}`;

  // [listener, Host header, expected virtual host]
  const cases: [string, string, string][] = [
    ['plain', 'www.example.com', 'exact'],
    ['plain', 'WWW.Example.COM', 'exact'],
    ['plain', 'mixed.com', 'mixed-case'],
    ['plain', 'a.api.example.com', 'suffix-long'],
    ['plain', 'x.example.com', 'suffix-short'],
    // A suffix wildcard beats a prefix wildcard that also matches.
    ['plain', 'api.example.com', 'suffix-short'],
    // The wildcard must cover at least one character ("*.foo.com" does not match ".foo.com").
    ['plain', '.example.com', 'default'],
    ['plain', 'baz-bar.foo.com', 'suffix-dash'],
    ['plain', '-bar.foo.com', 'default'],
    ['plain', 'api.other.org', 'prefix-short'],
    ['plain', 'api.v2.other.org', 'prefix-long'],
    ['plain', 'api.', 'default'],
    ['plain', 'nothing.org', 'default'],
    // The port is part of the host: no exact or suffix match with a port.
    ['plain', 'www.example.com:8080', 'default'],
    ['plain', 'x.example.com:8080', 'default'],
    ['plain', 'ported.com:8080', 'with-port'],
    ['plain', 'ported.com', 'default'],
    ['plain', 'wild.com:9999', 'port-wildcard'],
    ['plain', 'wild.com', 'default'],
    ['plain', '[::1]:8080', 'default'],
    ['strip_any', 'www.example.com:1234', 'exact'],
    ['strip_any', 'x.example.com:80', 'suffix-short'],
    ['strip_any', '[::1]:8080', 'ipv6'],
    ['strip_any', 'ported.com:8080', 'default'],
    ['strip_matching', 'www.example.com:1', 'default'],
    ['ignore_port', 'www.example.com:1234', 'exact'],
    ['ignore_port', '[::1]:80', 'ipv6'],
    ['ignore_port', 'wild.com:9999', 'default'],
  ];
  for (const [listener, host, want] of cases) {
    const res = await send(base(listener), '/', { headers: { host } });
    t.equal(res.status, 200, `${listener} ${host}: status`);
    t.equal(res.headers['x-vhost'], want, `${listener} ${host} → ${want}`);
  }
  t.equal(up.received.length, cases.length, 'every request reached the upstream');

  t.test('strip_matching_host_port strips only the listener\'s own port', async (t) => {
    const port = gw.port('strip_matching');
    const res = await send(base('strip_matching'), '/', { headers: { host: `www.example.com:${port}` } });
    t.equal(res.headers['x-vhost'], 'exact');
    const last = up.received[up.received.length - 1];
    t.equal(last.headers.host, 'www.example.com', 'the Host sent upstream has the port removed');
  });

  t.test('strip_any_host_port rewrites Host upstream; ignore_port_in_host_matching does not', async (t) => {
    await send(base('strip_any'), '/', { headers: { host: 'www.example.com:1234' } });
    t.equal(up.received[up.received.length - 1].headers.host, 'www.example.com');
    await send(base('ignore_port'), '/', { headers: { host: 'www.example.com:1234' } });
    t.equal(up.received[up.received.length - 1].headers.host, 'www.example.com:1234');
  });
});

t.test('no virtual host matches: 404 with an empty body, no_route counted', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const gw = await startGateway(bootstrapWith(
    [httpListener('ingress', { name: 'rc', virtual_hosts: [vhostNamed('only', ['only.example.com'])] })],
    [staticCluster('up', [up.port])],
  ));
  t.teardown(() => gw.close());
  const res = await send(gw.url, '/', { headers: { host: 'other.example.com' } });
  t.equal(res.status, 404);
  t.equal(res.body, '');
  t.equal(res.headers['content-type'], undefined, 'no content-type without a body');
  t.equal(up.received.length, 0);
  const stats = await send(gw.adminUrl, '/stats?filter=no_route');
  t.match(stats.body, /http\.ingress\.no_route: 1/);
});

type Match = Record<string, unknown>;

function named(name: string, match: Match): object {
  return {
    name,
    match,
    route: { cluster: 'up' },
    response_headers_to_add: [{ header: { key: 'x-route', value: name } }],
  };
}

function vh(domain: string, routes: [string, Match][]): object {
  return { name: domain, domains: [domain], routes: routes.map(([n, m]) => named(n, m)) };
}

/** Header matcher cases: one route per matcher under its own path; [matcher, request headers, matches?]. */
const HEADER_CASES: [string, Match, Record<string, string | string[]>, boolean][] = [
  ['exact', { string_match: { exact: 'Val' } }, { 'x-h': 'Val' }, true],
  ['exact', { string_match: { exact: 'Val' } }, { 'x-h': 'val' }, false],
  ['exact', { string_match: { exact: 'Val' } }, {}, false],
  ['exact-ic', { string_match: { exact: 'Val', ignore_case: true } }, { 'x-h': 'vAL' }, true],
  ['prefix', { string_match: { prefix: 'ab' } }, { 'x-h': 'abc' }, true],
  ['prefix', { string_match: { prefix: 'ab' } }, { 'x-h': 'xab' }, false],
  ['prefix-ic', { string_match: { prefix: 'AB', ignore_case: true } }, { 'x-h': 'abc' }, true],
  ['suffix', { string_match: { suffix: 'yz' } }, { 'x-h': 'xyz' }, true],
  ['suffix', { string_match: { suffix: 'yz' } }, { 'x-h': 'yzx' }, false],
  ['suffix-ic', { string_match: { suffix: 'YZ', ignore_case: true } }, { 'x-h': 'xyz' }, true],
  ['contains', { string_match: { contains: 'mid' } }, { 'x-h': 'amidb' }, true],
  ['contains', { string_match: { contains: 'mid' } }, { 'x-h': 'aMIDb' }, false],
  ['contains-ic', { string_match: { contains: 'MID', ignore_case: true } }, { 'x-h': 'amidb' }, true],
  ['regex', { string_match: { safe_regex: { regex: '[0-9]+' } } }, { 'x-h': '123' }, true],
  // safe_regex is a full match.
  ['regex', { string_match: { safe_regex: { regex: '[0-9]+' } } }, { 'x-h': '12a' }, false],
  ['regex-deprecated', { safe_regex_match: { regex: 'v[0-9]' } }, { 'x-h': 'v1' }, true],
  ['exact-deprecated', { exact_match: 'old' }, { 'x-h': 'old' }, true],
  ['present', { present_match: true }, { 'x-h': 'anything' }, true],
  ['present', { present_match: true }, { 'x-h': '' }, true],
  ['present', { present_match: true }, {}, false],
  ['absent', { present_match: false }, {}, true],
  ['absent', { present_match: false }, { 'x-h': 'x' }, false],
  ['present-inverted', { present_match: true, invert_match: true }, {}, true],
  ['present-inverted', { present_match: true, invert_match: true }, { 'x-h': 'x' }, false],
  ['exact-inverted', { string_match: { exact: 'a' }, invert_match: true }, { 'x-h': 'b' }, true],
  ['exact-inverted', { string_match: { exact: 'a' }, invert_match: true }, { 'x-h': 'a' }, false],
  // A missing header matches nothing but present_match, even when inverted.
  ['exact-inverted', { string_match: { exact: 'a' }, invert_match: true }, {}, false],
  ['range', { range_match: { start: 10, end: 20 } }, { 'x-h': '10' }, true],
  ['range', { range_match: { start: 10, end: 20 } }, { 'x-h': '19' }, true],
  ['range', { range_match: { start: 10, end: 20 } }, { 'x-h': '20' }, false],
  ['range', { range_match: { start: 10, end: 20 } }, { 'x-h': '15.0' }, false],
  ['range', { range_match: { start: 10, end: 20 } }, { 'x-h': '1e1' }, false],
  ['range', { range_match: { start: 10, end: 20 } }, { 'x-h': 'abc' }, false],
  ['range', { range_match: { start: 10, end: 20 } }, {}, false],
  ['range-negative', { range_match: { start: '-10', end: '0' } }, { 'x-h': '-5' }, true],
  ['range-inverted', { range_match: { start: 10, end: 20 }, invert_match: true }, { 'x-h': '5' }, true],
  ['range-inverted', { range_match: { start: 10, end: 20 }, invert_match: true }, {}, false],
  ['missing-empty', { string_match: { exact: '' }, treat_missing_header_as_empty: true }, {}, true],
  ['missing-empty-prefix', { string_match: { prefix: 'a' }, treat_missing_header_as_empty: true }, {}, false],
  ['missing-empty-inverted', { string_match: { exact: 'x' }, treat_missing_header_as_empty: true, invert_match: true }, {}, true],
  ['no-specifier', {}, { 'x-h': 'x' }, true],
  ['no-specifier', {}, {}, false],
  // Several values of one header are joined with "," before matching (getAllOfHeaderAsString).
  ['joined', { string_match: { exact: 'a,b' } }, { 'x-h': ['a', 'b'] }, true],
];

/** Query parameter cases: [matcher, query string, matches?]. */
const QUERY_CASES: [string, Match, string, boolean][] = [
  ['q-exact', { string_match: { exact: 'v' } }, '?q=v', true],
  ['q-exact', { string_match: { exact: 'v' } }, '?q=w', false],
  ['q-exact', { string_match: { exact: 'v' } }, '?other=v', false],
  ['q-exact', { string_match: { exact: 'v' } }, '', false],
  // Repeated keys: only the first value counts.
  ['q-exact', { string_match: { exact: 'v' } }, '?q=v&q=w', true],
  ['q-exact', { string_match: { exact: 'v' } }, '?q=w&q=v', false],
  ['q-exact', { string_match: { exact: 'v' } }, '?a=1&q=v', true],
  ['q-prefix-ic', { string_match: { prefix: 'AB', ignore_case: true } }, '?q=abc', true],
  ['q-regex', { string_match: { safe_regex: { regex: '[a-z]+' } } }, '?q=abc', true],
  ['q-regex', { string_match: { safe_regex: { regex: '[a-z]+' } } }, '?q=abc1', false],
  // Values are matched as they appear in the path, not URL-decoded.
  ['q-encoded', { string_match: { exact: 'a%20b' } }, '?q=a%20b', true],
  ['q-present', { present_match: true }, '?q', true],
  ['q-present', { present_match: true }, '?q=', true],
  ['q-present', { present_match: true }, '?q=1', true],
  ['q-present', { present_match: true }, '?qq=1', false],
  ['q-absent', { present_match: false }, '?x=1', true],
  ['q-absent', { present_match: false }, '?q=1', false],
  ['q-none', {}, '?q=1', true],
  ['q-none', {}, '', false],
];

t.test('route matching', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const headerRoutes = [...new Set(HEADER_CASES.map((c) => c[0]))].map((name): [string, Match] => {
    const matcher = HEADER_CASES.find((c) => c[0] === name)![1];
    return [name, { path: `/${name}`, headers: [{ name: 'x-h', ...matcher }] }];
  });
  const queryRoutes = [...new Set(QUERY_CASES.map((c) => c[0]))].map((name): [string, Match] => {
    const matcher = QUERY_CASES.find((c) => c[0] === name)![1];
    return [name, { path: `/${name}`, query_parameters: [{ name: 'q', ...matcher }] }];
  });
  const rc = {
    name: 'rc',
    virtual_hosts: [
      vh('prefix.test', [['api', { prefix: '/api' }], ['search', { prefix: '/search?q=' }], ['ci', { prefix: '/CI', case_sensitive: false }]]),
      vh('path.test', [['exact', { path: '/exact' }], ['ci', { path: '/Mixed', case_sensitive: false }]]),
      vh('regex.test', [['re', { safe_regex: { regex: '/v[0-9]+/items' } }], ['re-ci', { safe_regex: { regex: '/(?i)upper' } }]]),
      vh('sep.test', [['sep', { path_separated_prefix: '/api/dev' }], ['sep-ci', { path_separated_prefix: '/CI', case_sensitive: false }]]),
      vh('order.test', [['first', { prefix: '/a' }], ['second', { prefix: '/a/b' }], ['third', { path: '/a/b' }]]),
      vh('and.test', [['both', { prefix: '/x', headers: [{ name: 'x-a', present_match: true }], query_parameters: [{ name: 'k', present_match: true }] }], ['fallback', { prefix: '/' }]]),
      vh('headers.test', headerRoutes),
      vh('pseudo.test', [['method', { prefix: '/', headers: [{ name: ':method', string_match: { exact: 'PUT' } }] }], ['other', { prefix: '/' }]]),
      vh('query.test', queryRoutes),
    ],
  };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const route = async (host: string, path: string, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<string> => {
    const res = await send(gw.url, path, { method, headers: { host, ...headers } });
    if (res.status === 404) return '404';
    if (res.status !== 200) return `status ${res.status}`;
    return String(res.headers['x-route']);
  };

  t.test('path specifiers', async (t) => {
    const cases: [string, string, string][] = [
      ['prefix.test', '/api', 'api'],
      ['prefix.test', '/api/v1', 'api'],
      ['prefix.test', '/apix', 'api'],
      ['prefix.test', '/API', '404'],
      // prefix sees the query string.
      ['prefix.test', '/search?q=1', 'search'],
      ['prefix.test', '/search', '404'],
      ['prefix.test', '/ci/x', 'ci'],
      ['prefix.test', '/Ci', 'ci'],
      ['path.test', '/exact', 'exact'],
      // path ignores the query string.
      ['path.test', '/exact?x=1', 'exact'],
      ['path.test', '/exact/', '404'],
      ['path.test', '/exactly', '404'],
      ['path.test', '/Exact', '404'],
      ['path.test', '/mixed', 'ci'],
      ['path.test', '/MIXED?x=1', 'ci'],
      ['regex.test', '/v1/items', 're'],
      ['regex.test', '/v12/items?x=1', 're'],
      // safe_regex must match the whole path.
      ['regex.test', '/v1/items/extra', '404'],
      ['regex.test', '/x/v1/items', '404'],
      // case_sensitive does not apply to regexes; (?i) does.
      ['regex.test', '/UPPER', 're-ci'],
      ['sep.test', '/api/dev', 'sep'],
      ['sep.test', '/api/dev/', 'sep'],
      ['sep.test', '/api/dev/v1', 'sep'],
      ['sep.test', '/api/dev?x=1', 'sep'],
      ['sep.test', '/api/developer', '404'],
      ['sep.test', '/api/de', '404'],
      ['sep.test', '/ci/x', 'sep-ci'],
      // First match wins, even when a later route is more specific.
      ['order.test', '/a/b', 'first'],
      ['order.test', '/b', '404'],
    ];
    for (const [host, path, want] of cases) t.equal(await route(host, path), want, `${host}${path} → ${want}`);
  });

  t.test('all conditions of a match are AND-ed', async (t) => {
    t.equal(await route('and.test', '/x?k=1', { 'x-a': '1' }), 'both');
    t.equal(await route('and.test', '/x?k=1'), 'fallback');
    t.equal(await route('and.test', '/x', { 'x-a': '1' }), 'fallback');
    t.equal(await route('and.test', '/y?k=1', { 'x-a': '1' }), 'fallback');
  });

  t.test('header matchers', async (t) => {
    for (const [name, matcher, headers, matches] of HEADER_CASES) {
      const got = await route('headers.test', `/${name}`, headers);
      t.equal(got, matches ? name : '404', `${name} ${JSON.stringify(matcher)} with ${JSON.stringify(headers)}: ${matches ? 'match' : 'no match'}`);
    }
    t.equal(await route('pseudo.test', '/', {}, 'PUT'), 'method', ':method pseudo-header');
    t.equal(await route('pseudo.test', '/', {}, 'GET'), 'other');
  });

  t.test('query parameter matchers', async (t) => {
    for (const [name, matcher, query, matches] of QUERY_CASES) {
      const got = await route('query.test', `/${name}${query}`);
      t.equal(got, matches ? name : '404', `${name} ${JSON.stringify(matcher)} with "${query}": ${matches ? 'match' : 'no match'}`);
    }
  });
});

t.test('runtime_fraction on the match, with an injected random value', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  // Each call returns the next queued value; a request that drew more than once would see different ones.
  let queue: number[] = [];
  const random = (): number => queue.shift() ?? 0;
  const rc = {
    name: 'rc',
    virtual_hosts: [vh('*', [
      ['half', { prefix: '/', runtime_fraction: { default_value: { numerator: 50, denominator: 'HUNDRED' }, runtime_key: 'routing.half' } }],
      // Envoy evaluates every runtime_fraction of one request with the same random value (the stream id):
      // a request that missed the first 50 % route also misses this one.
      ['again', { prefix: '/', runtime_fraction: { default_value: { numerator: 50, denominator: 'HUNDRED' } } }],
      ['tenk', { prefix: '/', runtime_fraction: { default_value: { numerator: 7500, denominator: 'TEN_THOUSAND' } } }],
      ['rest', { prefix: '/' }],
    ])],
  };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]), { random });
  t.teardown(() => gw.close());
  // [random values, expected route]: random % denominator < numerator samples in; only the first value counts.
  const cases: [number[], string][] = [
    [[0], 'half'],
    [[49], 'half'],
    [[149], 'half'],
    [[50, 49, 49], 'tenk'],
    [[7499, 0, 0], 'tenk'],
    [[7550, 0, 0], 'rest'],
    [[9999, 0, 0], 'rest'],
  ];
  for (const [values, want] of cases) {
    queue = [...values];
    const res = await send(gw.url, '/');
    t.equal(res.headers['x-route'], want, `random ${values.join(',')} → ${want}`);
  }
});

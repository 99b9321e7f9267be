/**
 * Route actions through a running gateway to real upstreams: cluster, weighted_clusters (Envoy's
 * `random % total` walk; 80/20 over 2,000 requests), per-cluster mutations and host rewrites,
 * prefix_rewrite (with the "/prefix/" vs "/prefix" trap), regex_rewrite, host_rewrite_literal,
 * auto_host_rewrite, timeout, direct_response and redirect; and request/response_headers_to_add/remove at
 * weighted-cluster, route, virtual-host and route-config level in Envoy's order
 * (RouteEntryImplBase::finalizeRequestHeaders): the weighted cluster first, then route → virtual host →
 * route configuration (the most general wins an overwrite), or route configuration → virtual host →
 * route with most_specific_header_mutations_wins; each level removes before it adds.
 */
import t from 'tap';
import http from 'node:http';
import { startUpstream, TestUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster, startGateway } from '../helpers/gateway';
import { send, sendMany } from '../helpers/http';

async function upstreams(t: { teardown(fn: () => unknown): void }, ...names: string[]): Promise<TestUpstream[]> {
  const ups = await Promise.all(names.map((n) => startUpstream(n)));
  t.teardown(() => Promise.all(ups.map((u) => u.close())));
  return ups;
}

t.test('cluster and weighted_clusters', async (t) => {
  const [a, b, c] = await upstreams(t, 'a', 'b', 'c');
  const clusters = [staticCluster('a', [a.port]), staticCluster('b', [b.port]), staticCluster('c', [c.port])];
  const weighted = (extra: object = {}) => ({
    weighted_clusters: {
      clusters: [
        { name: 'a', weight: 80, request_headers_to_add: [{ header: { key: 'x-split', value: 'a' } }], response_headers_to_add: [{ header: { key: 'x-picked', value: 'a' } }] },
        { name: 'b', weight: 20, request_headers_to_add: [{ header: { key: 'x-split', value: 'b' } }], response_headers_to_add: [{ header: { key: 'x-picked', value: 'b' } }] },
      ],
      ...extra,
    },
  });
  const routes = [
    { match: { prefix: '/single' }, route: { cluster: 'c' } },
    { match: { prefix: '/zero' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 3 }, { name: 'c', weight: 1 }] } } },
    { match: { prefix: '/' }, route: weighted() },
  ];

  t.test('2,000 requests at 80/20 with Math.random land within ±4 points', async (t) => {
    const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig(routes))], clusters));
    t.teardown(() => gw.close());
    const single = await send(gw.url, '/single');
    t.equal(single.headers['x-upstream'], 'c', 'a plain cluster action goes to its cluster');
    const N = 2000;
    const responses = await sendMany(gw.url, N, '/split', {}, 32);
    t.ok(responses.every((r) => r.status === 200), 'all 200');
    const toA = responses.filter((r) => r.headers['x-upstream'] === 'a').length;
    const share = (toA / N) * 100;
    t.ok(share >= 76 && share <= 84, `share to a is ${share.toFixed(1)} % (want 80 ± 4)`);
    t.equal(a.received.length + b.received.length, N);
    // Per-cluster request_headers_to_add go upstream with the chosen cluster; response ones come back.
    t.ok(a.received.every((r) => r.headers['x-split'] === 'a'), 'cluster a got x-split: a');
    t.ok(b.received.every((r) => r.headers['x-split'] === 'b'), 'cluster b got x-split: b');
    t.ok(responses.every((r) => r.headers['x-picked'] === r.headers['x-upstream']), 'per-cluster response headers match the pick');
  });

  t.test('the pick with an injected random value: random % total over [0,80) [80,100)', async (t) => {
    let value = 0;
    const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig(routes))], clusters), { random: () => value });
    t.teardown(() => gw.close());
    const cases: [number, string, string][] = [
      [0, '/', 'a'], [79, '/', 'a'], [80, '/', 'b'], [99, '/', 'b'], [100, '/', 'a'], [4_294_967_295, '/', 'b'],
      // Weight 0 is allowed and never picked.
      [0, '/zero', 'b'], [2, '/zero', 'b'], [3, '/zero', 'c'], [4, '/zero', 'b'],
    ];
    for (const [v, path, want] of cases) {
      value = v;
      const res = await send(gw.url, path);
      t.equal(res.headers['x-upstream'], want, `random ${v} on ${path} → ${want}`);
    }
  });
});

t.test('path rewrites', async (t) => {
  const [up] = await upstreams(t, 'up');
  const rc = routeConfig([
    // The proto's trap: "/prefix/" must come before "/prefix" to turn /prefix/etc into /etc.
    { match: { prefix: '/prefix/' }, route: { cluster: 'up', prefix_rewrite: '/' } },
    { match: { prefix: '/prefix' }, route: { cluster: 'up', prefix_rewrite: '/' } },
    { match: { prefix: '/trap' }, route: { cluster: 'up', prefix_rewrite: '/' } },
    { match: { prefix: '/CI/', case_sensitive: false }, route: { cluster: 'up', prefix_rewrite: '/lower/' } },
    { match: { path: '/old' }, route: { cluster: 'up', prefix_rewrite: '/new' } },
    { match: { path_separated_prefix: '/sep' }, route: { cluster: 'up', prefix_rewrite: '/v2' } },
    { match: { prefix: '/service/' }, route: { cluster: 'up', regex_rewrite: { pattern: { regex: '^/service/([^/]+)(/.*)$' }, substitution: '\\2/instance/\\1' } } },
    { match: { prefix: '/all/' }, route: { cluster: 'up', regex_rewrite: { pattern: { regex: 'one' }, substitution: 'two' } } },
    { match: { prefix: '/strip/' }, route: { cluster: 'up', regex_rewrite: { pattern: { regex: '^/strip' }, substitution: '' } } },
    { match: { prefix: '/quiet/' }, route: { cluster: 'up', prefix_rewrite: '/' } },
    { match: { prefix: '/' }, route: { cluster: 'up' } },
  ]);
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  // [request path, path the upstream receives]
  const cases: [string, string][] = [
    ['/prefix/etc', '/etc'],
    ['/prefix', '/'],
    ['/prefix/a?x=1', '/a?x=1'],
    ['/prefixfoo', '/foo'],
    // With only "/trap" → "/", "/trap/etc" becomes "//etc" in Envoy too.
    ['/trap/etc', '//etc'],
    ['/ci/a/b', '/lower/a/b'],
    ['/old', '/new'],
    ['/old?x=1', '/new?x=1'],
    ['/sep', '/v2'],
    ['/sep/x?y=1', '/v2/x?y=1'],
    ['/service/foo/v1/api', '/v1/api/instance/foo'],
    ['/service/foo/bar?x=one', '/bar/instance/foo?x=one'],
    ['/all/one/yyy/one/zzz', '/all/two/yyy/two/zzz'],
    ['/strip/x', '/x'],
    ['/untouched?q=1', '/untouched?q=1'],
  ];
  for (const [path, want] of cases) {
    const res = await send(gw.url, path);
    t.equal(res.status, 200);
    const got = up.received[up.received.length - 1];
    t.equal(got.url, want, `${path} → ${want}`);
    t.equal(got.headers['x-envoy-original-path'], path === want ? undefined : path, `${path}: x-envoy-original-path`);
  }
});

t.test('x-envoy-original-path and -host are not sent with suppress_envoy_headers', async (t) => {
  const [up] = await upstreams(t, 'up');
  const rc = routeConfig([{ match: { prefix: '/p/' }, route: { cluster: 'up', prefix_rewrite: '/', host_rewrite_literal: 'new.example' } }]);
  const hcm = { http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppress_envoy_headers: true } }] };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc, hcm)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const res = await send(gw.url, '/p/x');
  t.equal(res.status, 200);
  t.equal(up.received[0].url, '/x');
  t.equal(up.received[0].headers.host, 'new.example');
  t.equal(up.received[0].headers['x-envoy-original-path'], undefined);
  t.equal(up.received[0].headers['x-envoy-original-host'], undefined);
  t.equal(up.received[0].headers['x-envoy-expected-rq-timeout-ms'], undefined);
  t.equal(res.headers['x-envoy-upstream-service-time'], undefined);
});

t.test('host rewrites', async (t) => {
  const [a, b] = await upstreams(t, 'a', 'b');
  let value = 0;
  const rc = routeConfig([
    { match: { prefix: '/literal' }, route: { cluster: 'a', host_rewrite_literal: 'rewritten.example' } },
    { match: { prefix: '/auto-static' }, route: { cluster: 'a', auto_host_rewrite: true } },
    { match: { prefix: '/auto' }, route: { cluster: 'dns', auto_host_rewrite: true } },
    { match: { prefix: '/plain-dns' }, route: { cluster: 'dns' } },
    {
      match: { prefix: '/weighted' },
      route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1, host_rewrite_literal: 'a.internal' }, { name: 'b', weight: 1 }] } },
    },
    {
      // Envoy applies the cluster's host rewrite first and the route's after it: the route's wins.
      match: { prefix: '/both' },
      route: { host_rewrite_literal: 'route.example', weighted_clusters: { clusters: [{ name: 'a', weight: 1, host_rewrite_literal: 'a.internal' }] } },
    },
  ]);
  const dns = {
    name: 'dns',
    type: 'STRICT_DNS',
    dns_lookup_family: 'V4_ONLY',
    connect_timeout: '1s',
    load_assignment: { cluster_name: 'dns', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'localhost', port_value: b.port } } } }] }] },
  };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('a', [a.port]), staticCluster('b', [b.port]), dns]), { random: () => value });
  t.teardown(() => gw.close());
  const host = 'client.example';
  const last = (u: TestUpstream) => u.received[u.received.length - 1];

  await send(gw.url, '/literal', { headers: { host } });
  t.equal(last(a).headers.host, 'rewritten.example', 'host_rewrite_literal');
  t.equal(last(a).headers['x-envoy-original-host'], host, 'the replaced host is kept in x-envoy-original-host');

  await send(gw.url, '/auto-static', { headers: { host } });
  t.equal(last(a).headers.host, host, 'auto_host_rewrite does nothing for a STATIC cluster (no hostname)');
  t.equal(last(a).headers['x-envoy-original-host'], undefined);

  const auto = await send(gw.url, '/auto', { headers: { host } });
  t.equal(auto.status, 200, 'STRICT_DNS cluster resolving localhost serves');
  t.equal(last(b).headers.host, 'localhost', 'auto_host_rewrite: the endpoint\'s DNS name, without the port');
  t.equal(last(b).headers['x-envoy-original-host'], host);

  await send(gw.url, '/plain-dns', { headers: { host } });
  t.equal(last(b).headers.host, host, 'without auto_host_rewrite the client Host is kept');

  value = 0;
  await send(gw.url, '/weighted', { headers: { host } });
  t.equal(last(a).headers.host, 'a.internal', 'per-cluster host_rewrite_literal');
  value = 1;
  await send(gw.url, '/weighted', { headers: { host } });
  t.equal(last(b).headers.host, host, 'the other cluster keeps the Host');
  await send(gw.url, '/both', { headers: { host } });
  t.equal(last(a).headers.host, 'route.example', 'the route\'s host_rewrite_literal wins over the cluster\'s');
});

t.test('route timeout', async (t) => {
  const [slow] = await upstreams(t, 'slow');
  slow.setHandler((req, res) => {
    const delay = Number(new URL(req.url, 'http://x').searchParams.get('delay') ?? '0');
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('late');
    }, delay);
  });
  const rc = routeConfig([
    { match: { prefix: '/short' }, route: { cluster: 'slow', timeout: '0.2s' } },
    { match: { prefix: '/none' }, route: { cluster: 'slow', timeout: '0s' } },
    { match: { prefix: '/' }, route: { cluster: 'slow' } },
  ]);
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('slow', [slow.port])]));
  t.teardown(() => gw.close());

  const started = performance.now();
  const res = await send(gw.url, '/short?delay=1500');
  const elapsed = performance.now() - started;
  t.equal(res.status, 504);
  t.equal(res.body, 'upstream request timeout');
  t.equal(res.headers['content-type'], 'text/plain');
  t.equal(res.headers['content-length'], '24');
  t.ok(elapsed >= 190 && elapsed < 1200, `answered after the route timeout (${elapsed.toFixed(0)} ms)`);
  t.equal(slow.received[0].headers['x-envoy-expected-rq-timeout-ms'], '200', 'x-envoy-expected-rq-timeout-ms upstream');

  const fine = await send(gw.url, '/short?delay=0');
  t.equal(fine.status, 200, 'a fast upstream is not affected');

  const none = await send(gw.url, '/none?delay=400');
  t.equal(none.status, 200, 'timeout 0s disables the route timeout');
  t.equal(none.body, 'late');
  t.equal(slow.received[slow.received.length - 1].headers['x-envoy-expected-rq-timeout-ms'], undefined, 'no expected timeout header when disabled');

  await send(gw.url, '/default?delay=0');
  t.equal(slow.received[slow.received.length - 1].headers['x-envoy-expected-rq-timeout-ms'], '15000', 'Envoy\'s default route timeout is 15 s');

  const stats = await send(gw.adminUrl, '/stats?filter=upstream_rq_timeout');
  t.match(stats.body, /cluster\.slow\.upstream_rq_timeout: 1/);
});

t.test('the route timeout starts when the downstream request is complete', async (t) => {
  // Envoy (RouteAction.timeout): "the timer starts when the downstream request is complete" — a slow
  // upload is not cut off by a route timeout shorter than the upload.
  const [up] = await upstreams(t, 'upload');
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([{ match: { prefix: '/' }, route: { cluster: 'upload', timeout: '0.3s' } }]))], [staticCluster('upload', [up.port])]));
  t.teardown(() => gw.close());
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: gw.port(), path: '/slow-upload', method: 'POST' }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => { body += c; });
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const tick = setInterval(() => {
      req.write('x'.repeat(100));
      if (++sent === 6) {
        clearInterval(tick);
        req.end();
      }
    }, 100);
  });
  t.equal(res.status, 200, 'a 600 ms upload under a 300 ms route timeout completes');
  t.equal(up.received[0].body.length, 600);
});

t.test('direct_response', async (t) => {
  const rc = routeConfig([
    { match: { path: '/text' }, direct_response: { status: 200, body: { inline_string: 'hello from envoy' } } },
    { match: { path: '/bytes' }, direct_response: { status: 418, body: { inline_bytes: Buffer.from('teapot').toString('base64') } } },
    { match: { path: '/empty' }, direct_response: { status: 503 } },
    { match: { path: '/created' }, direct_response: { status: 201, body: { inline_string: 'made' } } },
    { match: { path: '/moved' }, direct_response: { status: 301 } },
    {
      match: { path: '/hdrs' },
      direct_response: { status: 200, body: { inline_string: 'x' } },
      response_headers_to_add: [{ header: { key: 'x-direct', value: 'yes' } }],
    },
  ]);
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], []));
  t.teardown(() => gw.close());
  const text = await send(gw.url, '/text');
  t.equal(text.status, 200);
  t.equal(text.body, 'hello from envoy');
  t.equal(text.headers['content-type'], 'text/plain');
  t.equal(text.headers['content-length'], String('hello from envoy'.length));
  t.equal(text.headers.server, 'envoy');
  const bytes = await send(gw.url, '/bytes');
  t.equal(bytes.status, 418);
  t.equal(bytes.body, 'teapot');
  const empty = await send(gw.url, '/empty');
  t.equal(empty.status, 503);
  t.equal(empty.body, '');
  t.equal(empty.headers['content-type'], undefined);
  const created = await send(gw.url, '/created?a=1', { headers: { host: 'svc.example' } });
  t.equal(created.status, 201);
  t.equal(created.headers.location, 'http://svc.example/created?a=1', 'a 201 direct response carries Location');
  const moved = await send(gw.url, '/moved', { headers: { host: 'svc.example:8080' } });
  t.equal(moved.headers.location, 'http://svc.example:8080/moved', 'a 3xx direct response carries Location');
  t.equal(text.headers.location, undefined, 'no Location on a 200');
  const hdrs = await send(gw.url, '/hdrs');
  t.equal(hdrs.headers['x-direct'], 'yes', 'route response_headers_to_add apply to direct responses');
  const stats = await send(gw.adminUrl, '/stats?filter=rq_direct_response');
  t.match(stats.body, /http\.ingress\.rq_direct_response: 6/);
});

t.test('redirect', async (t) => {
  const r = (path: string, redirect: object) => ({ match: { prefix: path }, redirect });
  const rc = routeConfig([
    r('/https443', { https_redirect: true, port_redirect: 443 }),
    r('/https', { https_redirect: true }),
    r('/scheme', { scheme_redirect: 'ftp' }),
    r('/hostport', { host_redirect: 'new.example', port_redirect: 9000 }),
    r('/host', { host_redirect: 'new.example' }),
    r('/port', { port_redirect: 8443 }),
    r('/pathq', { path_redirect: '/fixed?from=redirect', strip_query: true }),
    r('/path', { path_redirect: '/fixed' }),
    r('/prefix/', { prefix_rewrite: '/new/' }),
    r('/regex/', { regex_rewrite: { pattern: { regex: '^/regex/(.*)$' }, substitution: '/r/\\1' } }),
    r('/strip', { strip_query: true }),
    r('/found', { response_code: 'FOUND' }),
    r('/see', { response_code: 'SEE_OTHER' }),
    r('/temp', { response_code: 'TEMPORARY_REDIRECT' }),
    r('/perm', { response_code: 'PERMANENT_REDIRECT' }),
    { match: { path: '/exactpath' }, redirect: { prefix_rewrite: '/replaced' } },
  ]);
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], []));
  t.teardown(() => gw.close());
  // [path, Host, status, Location]
  const cases: [string, string, number, string][] = [
    ['/https/a?q=1', 'foo.com', 301, 'https://foo.com/https/a?q=1'],
    // Changing the scheme drops the request's default port (:80 for http)...
    ['/https', 'foo.com:80', 301, 'https://foo.com/https'],
    // ...but keeps any other port.
    ['/https', 'foo.com:8080', 301, 'https://foo.com:8080/https'],
    ['/https', '[::1]:80', 301, 'https://[::1]/https'],
    ['/scheme', 'foo.com', 301, 'ftp://foo.com/scheme'],
    // Without a scheme change a :80 stays.
    ['/host', 'foo.com:80', 301, 'http://new.example/host'],
    ['/found', 'foo.com:80', 302, 'http://foo.com:80/found'],
    ['/port', 'foo.com:8080', 301, 'http://foo.com:8443/port'],
    ['/hostport', 'foo.com', 301, 'http://new.example:9000/hostport'],
    // A port_redirect is written even when it is the scheme's default.
    ['/https443', 'foo.com', 301, 'https://foo.com:443/https443'],
    ['/path?a=1', 'foo.com', 301, 'http://foo.com/fixed?a=1'],
    // path_redirect's own query wins and strip_query does not remove it.
    ['/pathq?a=1', 'foo.com', 301, 'http://foo.com/fixed?from=redirect'],
    ['/prefix/x/y?z=1', 'foo.com', 301, 'http://foo.com/new/x/y?z=1'],
    ['/regex/a/b?z=1', 'foo.com', 301, 'http://foo.com/r/a/b?z=1'],
    ['/strip/x?a=1&b=2', 'foo.com', 301, 'http://foo.com/strip/x'],
    ['/see', 'foo.com', 303, 'http://foo.com/see'],
    ['/temp', 'foo.com', 307, 'http://foo.com/temp'],
    ['/perm', 'foo.com', 308, 'http://foo.com/perm'],
    ['/exactpath?k=v', 'foo.com', 301, 'http://foo.com/replaced?k=v'],
  ];
  for (const [path, host, status, location] of cases) {
    const res = await send(gw.url, path, { headers: { host } });
    t.equal(res.status, status, `${host}${path}: ${status}`);
    t.equal(res.headers.location, location, `${host}${path} → ${location}`);
    t.equal(res.body, '', 'empty body');
  }
});

const add = (key: string, value: string, extra: object = {}) => ({ header: { key, value }, ...extra });

function levels(tag: string): object {
  return {
    request_headers_to_add: [add('x-order', tag), add('x-overwrite', tag, { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })],
    response_headers_to_add: [add('x-order', tag), add('x-overwrite', tag, { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })],
  };
}

function routeConfigFor(mostSpecific: boolean): object {
  return {
    name: 'rc',
    most_specific_header_mutations_wins: mostSpecific,
    ...levels('global'),
    virtual_hosts: [{
      name: 'vh',
      domains: ['*'],
      ...levels('vhost'),
      routes: [
        {
          match: { prefix: '/weighted' },
          route: { weighted_clusters: { clusters: [{ name: 'up', weight: 1, ...levels('cluster') }] } },
          ...levels('route'),
        },
        { match: { prefix: '/' }, route: { cluster: 'up' }, ...levels('route') },
      ],
    }],
  };
}

t.test('order of evaluation across levels', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  up.setHandler((_req, res) => {
    res.setHeader('x-order', 'upstream');
    res.setHeader('x-overwrite', 'upstream');
    res.end('ok');
  });
  const gw = await startGateway(bootstrapWith(
    [httpListener('default', routeConfigFor(false)), httpListener('specific', routeConfigFor(true))],
    [staticCluster('up', [up.port])],
  ));
  t.teardown(() => gw.close());
  const base = (l: string) => `http://127.0.0.1:${gw.port(l)}`;
  // [listener, path, x-order upstream sees, x-overwrite upstream sees]
  const cases: [string, string, string, string][] = [
    ['default', '/', 'client, route, vhost, global', 'global'],
    ['specific', '/', 'client, global, vhost, route', 'route'],
    // The weighted cluster's mutations run before the route's, whatever the setting.
    ['default', '/weighted', 'client, cluster, route, vhost, global', 'global'],
    ['specific', '/weighted', 'client, cluster, global, vhost, route', 'route'],
  ];
  for (const [listener, path, order, overwrite] of cases) {
    const res = await send(base(listener), path, { headers: { 'x-order': 'client', 'x-overwrite': 'client' } });
    const got = up.received[up.received.length - 1].headers;
    t.equal(got['x-order'], order, `${listener} ${path}: request x-order`);
    t.equal(got['x-overwrite'], overwrite, `${listener} ${path}: request x-overwrite`);
    // Response side, same order, starting from what the upstream sent (appended values are separate lines).
    t.equal(([] as string[]).concat(res.headers['x-order'] ?? []).join(', '), order.replace('client', 'upstream'), `${listener} ${path}: response x-order`);
    t.equal(res.headers['x-overwrite'], overwrite, `${listener} ${path}: response x-overwrite`);
  }
});

t.test('removal and append actions', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  up.setHandler((_req, res) => {
    res.setHeader('x-secret', 'leak');
    res.setHeader('x-keep', 'upstream');
    res.end('ok');
  });
  const rc = {
    name: 'rc',
    // The route configuration removes a header the route adds: the route runs first, so it is gone.
    request_headers_to_remove: ['x-route-added'],
    response_headers_to_remove: ['x-secret'],
    virtual_hosts: [{
      name: 'vh',
      domains: ['*'],
      request_headers_to_remove: ['x-drop-me'],
      routes: [{
        match: { prefix: '/' },
        route: { cluster: 'up' },
        // Within one level, removal happens before addition.
        request_headers_to_remove: ['x-replace'],
        request_headers_to_add: [
          add('x-replace', 'new'),
          add('x-route-added', 'r'),
          add('x-append', 'added'),
          add('x-if-absent', 'added', { append_action: 'ADD_IF_ABSENT' }),
          add('x-if-absent-2', 'added', { append_action: 'ADD_IF_ABSENT' }),
          add('x-overwrite-or-add', 'added', { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }),
          add('x-overwrite-only', 'added', { append_action: 'OVERWRITE_IF_EXISTS' }),
          add('x-overwrite-only-2', 'added', { append_action: 'OVERWRITE_IF_EXISTS' }),
          add('x-legacy-false', 'added', { append: false }),
          add('x-legacy-true', 'added', { append: true }),
          add('x-empty', ''),
          add('x-empty-kept', '', { keep_empty_value: true }),
          add('x-percent', '100%%'),
        ],
        response_headers_to_remove: ['x-keep-not'],
        response_headers_to_add: [add('x-keep', 'route', { append_action: 'ADD_IF_ABSENT' })],
      }],
    }],
  };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const res = await send(gw.url, '/', {
    headers: {
      'x-replace': 'old',
      'x-drop-me': '1',
      'x-append': 'client',
      'x-if-absent': 'client',
      'x-overwrite-or-add': 'client',
      'x-overwrite-only': 'client',
      'x-legacy-false': 'client',
      'x-legacy-true': 'client',
    },
  });
  t.equal(res.status, 200);
  const h = up.received[0].headers;
  const cases: [string, string | undefined][] = [
    ['x-replace', 'new'],
    ['x-route-added', undefined],
    ['x-drop-me', undefined],
    ['x-append', 'client, added'],
    ['x-if-absent', 'client'],
    ['x-if-absent-2', 'added'],
    ['x-overwrite-or-add', 'added'],
    ['x-overwrite-only', 'added'],
    ['x-overwrite-only-2', undefined],
    ['x-legacy-false', 'added'],
    ['x-legacy-true', 'client, added'],
    ['x-empty', undefined],
    ['x-empty-kept', ''],
    ['x-percent', '100%'],
  ];
  for (const [name, want] of cases) t.equal(h[name], want, `${name} upstream: ${String(want)}`);
  t.equal(res.headers['x-secret'], undefined, 'response_headers_to_remove at route-config level');
  t.equal(res.headers['x-keep'], 'upstream', 'ADD_IF_ABSENT keeps the upstream value');
});

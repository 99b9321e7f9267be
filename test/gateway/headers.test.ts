/**
 * The HttpConnectionManager's header handling, as Envoy's ConnectionManagerUtility::mutateRequestHeaders
 * and the router do it: x-request-id, x-forwarded-for / -proto / x-envoy-external-address per
 * use_remote_address and xff_num_trusted_hops, x-envoy-* control headers from outside removed,
 * hop-by-hop headers dropped both ways, server from server_name, x-envoy-upstream-service-time.
 * Real upstream, real sockets (raw ones where undici refuses to send hop-by-hop headers).
 */
import t from 'tap';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster, startGateway } from '../helpers/gateway';
import { parseRawResponse, rawExchange, send } from '../helpers/http';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('request and response headers', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  up.setHandler((req, res) => {
    res.setHeader('connection', 'keep-alive, x-resp-hop');
    res.setHeader('x-resp-hop', 'must not pass');
    res.setHeader('keep-alive', 'timeout=99, max=7');
    res.setHeader('proxy-connection', 'keep-alive');
    res.setHeader('upgrade', 'h2c');
    res.setHeader('trailer', 'x-checksum');
    res.setHeader('server', 'upstream-server');
    res.setHeader('x-echo-id', String(req.headers['x-request-id'] ?? ''));
    res.end('ok');
  });
  const rc = routeConfig([{ match: { prefix: '/' }, route: { cluster: 'up' } }]);
  const gw = await startGateway(bootstrapWith([
    httpListener('internal', rc),
    httpListener('edge', rc, { use_remote_address: true }),
    httpListener('edge_preserve', rc, { use_remote_address: true, preserve_external_request_id: true }),
    httpListener('echo_id', rc, { always_set_request_id_in_response: true, server_name: 'shadowgate-edge' }),
    httpListener('no_id', rc, { generate_request_id: false }),
    httpListener('skip_xff', rc, { use_remote_address: true, skip_xff_append: true }),
    httpListener('trusted', rc, { use_remote_address: true, xff_num_trusted_hops: 1 }),
    httpListener('trusted2', rc, { use_remote_address: true, xff_num_trusted_hops: 2 }),
  ], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const base = (l: string) => `http://127.0.0.1:${gw.port(l)}`;
  const upstreamSaw = async (listener: string, headers: Record<string, string> = {}) => {
    const res = await send(base(listener), '/', { headers });
    t.equal(res.status, 200, `${listener}: 200`);
    return { res, up: up.received[up.received.length - 1].headers };
  };

  t.test('x-request-id', async (t) => {
    const generated = await upstreamSaw('internal');
    t.match(generated.up['x-request-id'], UUID_V4, 'generated as a UUID v4 when absent');
    t.equal(generated.res.headers['x-request-id'], undefined, 'not echoed without always_set_request_id_in_response');
    t.equal((await upstreamSaw('internal', { 'x-request-id': 'from-inside' })).up['x-request-id'], 'from-inside', 'kept on a non-edge request');
    const edge = await upstreamSaw('edge', { 'x-request-id': 'from-outside' });
    t.match(edge.up['x-request-id'], UUID_V4, 'overwritten on an edge request');
    t.not(edge.up['x-request-id'], 'from-outside');
    t.equal((await upstreamSaw('edge_preserve', { 'x-request-id': 'from-outside' })).up['x-request-id'], 'from-outside', 'preserve_external_request_id keeps it at the edge');
    const echoed = await upstreamSaw('echo_id');
    t.match(echoed.res.headers['x-request-id'], UUID_V4, 'always_set_request_id_in_response');
    t.equal(echoed.res.headers['x-request-id'], echoed.up['x-request-id'], 'the same id upstream and downstream');
    t.equal((await upstreamSaw('echo_id', { 'x-request-id': 'mine' })).res.headers['x-request-id'], 'mine');
    t.equal((await upstreamSaw('no_id')).up['x-request-id'], undefined, 'generate_request_id: false generates none');
    t.equal((await upstreamSaw('no_id', { 'x-request-id': 'given' })).up['x-request-id'], 'given');
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(String((await upstreamSaw('internal')).up['x-request-id']));
    t.equal(ids.size, 5, 'a fresh id per request');
  });

  t.test('x-forwarded-for, x-forwarded-proto, x-envoy-external-address', async (t) => {
    // [listener, request headers, XFF upstream, XFP upstream, x-envoy-external-address upstream]
    const cases: [string, Record<string, string>, string | undefined, string, string | undefined][] = [
      ['internal', {}, undefined, 'http', undefined],
      ['internal', { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4', 'http', undefined],
      ['internal', { 'x-forwarded-proto': 'https' }, undefined, 'https', undefined],
      ['edge', {}, '127.0.0.1', 'http', '127.0.0.1'],
      ['edge', { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4,127.0.0.1', 'http', '127.0.0.1'],
      // Without trusted hops, the client's claim of https is overwritten at the edge.
      ['edge', { 'x-forwarded-proto': 'https' }, '127.0.0.1', 'http', '127.0.0.1'],
      ['skip_xff', { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4', 'http', '127.0.0.1'],
      ['trusted', { 'x-forwarded-for': '9.9.9.9, 1.1.1.1' }, '9.9.9.9, 1.1.1.1,127.0.0.1', 'http', '1.1.1.1'],
      // A trusted proxy in front set x-forwarded-proto: kept.
      ['trusted', { 'x-forwarded-for': '1.1.1.1', 'x-forwarded-proto': 'https' }, '1.1.1.1,127.0.0.1', 'https', '1.1.1.1'],
      ['trusted2', { 'x-forwarded-for': '9.9.9.9, 1.1.1.1' }, '9.9.9.9, 1.1.1.1,127.0.0.1', 'http', '9.9.9.9'],
      // Fewer addresses than trusted hops: the peer address is the client.
      ['trusted2', { 'x-forwarded-for': '1.1.1.1' }, '1.1.1.1,127.0.0.1', 'http', '127.0.0.1'],
      // A client cannot set x-envoy-external-address itself.
      ['internal', { 'x-envoy-external-address': '6.6.6.6' }, undefined, 'http', undefined],
    ];
    for (const [listener, headers, xff, xfp, external] of cases) {
      const { up: h } = await upstreamSaw(listener, headers);
      const what = `${listener} ${JSON.stringify(headers)}`;
      t.equal(h['x-forwarded-for'], xff, `${what}: x-forwarded-for`);
      t.equal(h['x-forwarded-proto'], xfp, `${what}: x-forwarded-proto`);
      t.equal(h['x-envoy-external-address'], external, `${what}: x-envoy-external-address`);
    }
  });

  t.test('x-envoy control headers from outside are removed', async (t) => {
    const control = {
      'x-envoy-upstream-rq-timeout-ms': '1',
      'x-envoy-upstream-rq-per-try-timeout-ms': '1',
      'x-envoy-max-retries': '5',
      'x-envoy-retry-on': '5xx',
      'x-envoy-retry-grpc-on': 'cancelled',
      'x-envoy-retriable-status-codes': '503',
      'x-envoy-retriable-header-names': 'x',
      'x-envoy-upstream-alt-stat-name': 'x',
      'x-envoy-upstream-rq-timeout-alt-response': '204',
      'x-envoy-expected-rq-timeout-ms': '1',
      'x-envoy-force-trace': 'true',
      'x-envoy-internal': 'true',
      'x-envoy-ip-tags': 'x',
      'x-envoy-original-url': 'http://x/',
      'x-envoy-hedge-on-per-try-timeout': 'true',
      'x-envoy-decorator-operation': 'op',
      'x-envoy-downstream-service-cluster': 'c',
      'x-envoy-downstream-service-node': 'n',
    };
    up.setHandler((_req, res) => setTimeout(() => res.end('slow enough'), 30));
    t.teardown(() => up.setHandler((_req, res) => res.end('ok')));
    for (const listener of ['internal', 'edge']) {
      const { res, up: h } = await upstreamSaw(listener, { ...control, 'x-envoy-custom': 'kept' });
      t.equal(res.body, 'slow enough', `${listener}: x-envoy-upstream-rq-timeout-ms from the client did not shorten the timeout`);
      const leaked = Object.keys(control).filter((k) => k !== 'x-envoy-expected-rq-timeout-ms' && k in h);
      if (listener === 'internal') {
        // Not edge: Envoy only keeps x-envoy-decorator-operation and the downstream-service ones.
        t.same(leaked.sort(), ['x-envoy-decorator-operation', 'x-envoy-downstream-service-cluster', 'x-envoy-downstream-service-node'], `${listener}: only edge-only headers survive`);
      } else {
        t.same(leaked, [], `${listener}: none reach the upstream`);
      }
      t.equal(h['x-envoy-expected-rq-timeout-ms'], '15000', `${listener}: the router's own expected timeout, not the client's`);
      t.equal(h['x-envoy-custom'], 'kept', 'other x-envoy-* headers are not control headers');
    }
  });

  t.test('hop-by-hop headers are not forwarded in either direction', async (t) => {
    const port = gw.port('internal');
    const before = up.received.length;
    const ex = await rawExchange(port, [
      'GET /hop HTTP/1.1',
      'Host: hop.example',
      'Connection: keep-alive, X-Nominated',
      'X-Nominated: must not pass',
      'Keep-Alive: timeout=5',
      'Proxy-Connection: keep-alive',
      'TE: trailers',
      'Upgrade: h2c',
      'Trailer: x-checksum',
      'X-Normal: passes',
      '', '',
    ].join('\r\n'), 1000);
    const res = parseRawResponse(ex.text);
    t.equal(res.status, 200);
    t.equal(up.received.length, before + 1);
    const h = up.received[up.received.length - 1].headers;
    for (const name of ['x-nominated', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'trailer']) t.equal(h[name], undefined, `request ${name} not forwarded`);
    t.not(h.connection, 'keep-alive, X-Nominated', 'the client\'s Connection header is not forwarded');
    t.equal(h['x-normal'], 'passes');
    for (const name of ['x-resp-hop', 'proxy-connection', 'upgrade', 'trailer']) t.equal(res.headers[name], undefined, `response ${name} not forwarded`);
    t.notMatch(res.headers['keep-alive'] ?? '', /max=7/, 'the upstream\'s Keep-Alive is not forwarded');
    t.notMatch(res.headers.connection ?? '', /x-resp-hop/i, 'the upstream\'s Connection is not forwarded');
  });

  t.test('server header and x-envoy-upstream-service-time', async (t) => {
    const plain = await upstreamSaw('internal');
    t.equal(plain.res.headers.server, 'envoy', 'server defaults to "envoy" and overwrites the upstream\'s');
    t.match(plain.res.headers['x-envoy-upstream-service-time'], /^\d+$/);
    t.equal((await upstreamSaw('echo_id')).res.headers.server, 'shadowgate-edge', 'server_name');
  });
});

t.test('suppress_envoy_headers leaves out x-envoy-upstream-service-time', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const router = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppress_envoy_headers: true } };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([{ match: { prefix: '/' }, route: { cluster: 'up' } }]), { http_filters: [router] })], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const res = await send(gw.url, '/');
  t.equal(res.status, 200);
  t.equal(res.headers['x-envoy-upstream-service-time'], undefined);
  t.equal(up.received[0].headers['x-envoy-expected-rq-timeout-ms'], undefined);
});

t.test('internal_only_headers are removed from (external) requests', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const rc = routeConfig([{ match: { prefix: '/' }, route: { cluster: 'up' } }], { internal_only_headers: ['x-internal-token', 'X-Debug'] });
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  await send(gw.url, '/', { headers: { 'x-internal-token': 'secret', 'x-debug': '1', 'x-public': 'ok' } });
  const h = up.received[0].headers;
  t.equal(h['x-internal-token'], undefined);
  t.equal(h['x-debug'], undefined);
  t.equal(h['x-public'], 'ok');
});

t.test('absolute-form request targets are routed by their host and path', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const rc = { name: 'rc', virtual_hosts: [
    { name: 'abs', domains: ['abs.example'], routes: [{ match: { path: '/abs' }, route: { cluster: 'up' } }] },
  ] };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const ex = await rawExchange(gw.port(), 'GET http://abs.example/abs?x=1 HTTP/1.1\r\nHost: ignored.example\r\nConnection: close\r\n\r\n');
  t.equal(parseRawResponse(ex.text).status, 200);
  t.equal(up.received[0].url, '/abs?x=1', 'the upstream gets origin-form');
  t.equal(up.received[0].headers.host, 'abs.example', 'Host comes from the URL');
});

/**
 * Envoy's local replies, exactly (router.cc): status, body, content-type, the x-envoy-overloaded header,
 * and the cluster counters Envoy charges for them. Plus the codec's replies to requests it cannot parse
 * (400 and the connection closed, the gateway serving on).
 */
import t from 'tap';
import { closedPort, startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster, startGateway } from '../helpers/gateway';
import { parseRawResponse, rawExchange, send, until } from '../helpers/http';
import { buildSnapshot } from '../../src/config/snapshot';

const CONNECT_ERROR = 'upstream connect error or disconnect/reset before headers. ';

t.test('local replies', async (t) => {
  const ok = await startUpstream('ok');
  const reset = await startUpstream('reset', (_req, res) => res.socket?.destroy());
  let releaseSlow: (() => void)[] = [];
  const slow = await startUpstream('slow', (_req, res) => releaseSlow.push(() => res.end('slow done')));
  t.teardown(async () => {
    releaseSlow.forEach((f) => f());
    await Promise.all([ok.close(), reset.close(), slow.close()]);
  });
  const refused = await closedPort();
  const tagged = (extra: object) => ({ ...extra, response_headers_to_add: [{ header: { key: 'x-route-tag', value: 'yes' } }] });
  const rc = routeConfig([
    tagged({ match: { prefix: '/refused' }, route: { cluster: 'refused' } }),
    tagged({ match: { prefix: '/reset' }, route: { cluster: 'reset' } }),
    tagged({ match: { prefix: '/empty' }, route: { cluster: 'empty' } }),
    tagged({ match: { prefix: '/slow' }, route: { cluster: 'slow', timeout: '5s' } }),
    tagged({ match: { prefix: '/timeout' }, route: { cluster: 'slow', timeout: '0.1s' } }),
    tagged({ match: { prefix: '/by-header-404' }, route: { cluster_header: 'x-cluster', cluster_not_found_response_code: 'NOT_FOUND' } }),
    tagged({ match: { prefix: '/by-header' }, route: { cluster_header: 'x-cluster' } }),
    tagged({ match: { prefix: '/unknown' }, route: { cluster: 'not-yet' } }),
    tagged({ match: { prefix: '/eds' }, route: { cluster: 'eds' } }),
    tagged({ match: { prefix: '/ok' }, route: { cluster: 'ok' } }),
  ], { validate_clusters: false }, ['svc.example']);
  const clusters = [
    staticCluster('ok', [ok.port]),
    staticCluster('refused', [refused]),
    staticCluster('reset', [reset.port]),
    staticCluster('slow', [slow.port], { circuit_breakers: { thresholds: [{ max_requests: 1 }] } }),
    { name: 'empty', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'empty', endpoints: [] } },
  ];
  const bootstrap = bootstrapWith([httpListener('ingress', rc)], clusters) as { static_resources: { listeners: object[] } };
  const gw = await startGateway(bootstrap);
  t.teardown(() => gw.close());
  const get = (path: string, headers: Record<string, string> = {}) => send(gw.url, path, { headers: { host: 'svc.example', ...headers } });
  const stat = async (name: string): Promise<number> => {
    const body = (await send(gw.adminUrl, `/stats?filter=^${name.replace(/\./g, '\\.')}$`)).body;
    const m = /: (\d+)/.exec(body);
    return m ? Number(m[1]) : 0;
  };

  t.test('no route: 404, empty body, no content-type', async (t) => {
    const res = await send(gw.url, '/ok', { headers: { host: 'elsewhere.example' } });
    t.equal(res.status, 404);
    t.equal(res.body, '');
    t.equal(res.headers['content-length'], '0');
    t.equal(res.headers['content-type'], undefined);
    t.equal(res.headers.server, 'envoy');
  });

  t.test('cluster not found: cluster_not_found_response_code (503 by default), empty body', async (t) => {
    const cases: [string, Record<string, string>, number][] = [
      ['/by-header', { 'x-cluster': 'nope' }, 503],
      ['/by-header', {}, 503],
      ['/by-header-404', { 'x-cluster': 'nope' }, 404],
      // validate_clusters: false — an unknown cluster is a request-time 503, not a load error.
      ['/unknown', {}, 503],
    ];
    for (const [path, headers, status] of cases) {
      const res = await get(path, headers);
      t.equal(res.status, status, `${path} ${JSON.stringify(headers)}: ${status}`);
      t.equal(res.body, '');
      t.equal(res.headers['content-type'], undefined);
    }
    const found = await get('/by-header', { 'x-cluster': 'ok' });
    t.equal(found.status, 200, 'cluster_header naming a known cluster routes there');
    t.equal(found.headers['x-upstream'], 'ok');
    t.equal(await stat('http.ingress.no_cluster'), 4);
  });

  t.test('a cluster without endpoints: 503 no healthy upstream', async (t) => {
    const res = await get('/empty');
    t.equal(res.status, 503);
    t.equal(res.body, 'no healthy upstream');
    t.equal(res.headers['content-type'], 'text/plain');
    t.equal(res.headers['content-length'], String('no healthy upstream'.length));
    t.equal(res.headers['x-route-tag'], 'yes', 'the route\'s response headers are added to local replies');
    t.equal(await stat('cluster.empty.upstream_cx_none_healthy'), 1);
    t.equal(await stat('cluster.empty.upstream_rq_503'), 1, 'Envoy charges the local 503 to the cluster');
  });

  t.test('an EDS cluster whose endpoints have not arrived: 503 no healthy upstream', async (t) => {
    const eds = { name: 'eds', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } };
    const snapshot = buildSnapshot({ listeners: bootstrap.static_resources.listeners, clusters: [...clusters, eds] });
    t.same(snapshot.warmingClusters, ['eds']);
    await gw.handle.gateway.apply(snapshot);
    const res = await get('/eds');
    t.equal(res.status, 503);
    t.equal(res.body, 'no healthy upstream');
  });

  t.test('connection refused: 503 remote connection failure', async (t) => {
    const res = await get('/refused');
    t.equal(res.status, 503);
    t.ok(res.body.startsWith(`${CONNECT_ERROR}reset reason: remote connection failure`), res.body);
    t.match(res.body, /transport failure reason: delayed connect error: Connection refused$/);
    t.equal(res.headers['content-type'], 'text/plain');
    t.equal(res.headers['x-envoy-overloaded'], undefined);
    t.equal(await stat('cluster.refused.upstream_cx_connect_fail'), 1);
    t.equal(await stat('cluster.refused.upstream_rq_503'), 1);
  });

  t.test('upstream reset before headers: 503 connection termination', async (t) => {
    const res = await get('/reset');
    t.equal(res.status, 503);
    t.equal(res.body, `${CONNECT_ERROR}reset reason: connection termination`);
    t.equal(res.headers['content-type'], 'text/plain');
  });

  t.test('route timeout: 504 upstream request timeout', async (t) => {
    const res = await get('/timeout');
    t.equal(res.status, 504);
    t.equal(res.body, 'upstream request timeout');
    t.equal(res.headers['content-type'], 'text/plain');
    t.equal(res.headers['x-route-tag'], 'yes');
    t.equal(await stat('cluster.slow.upstream_rq_timeout'), 1);
    t.equal(await stat('cluster.slow.upstream_rq_504'), 1, 'Envoy charges the local 504 to the cluster');
    // Let the timed-out upstream request finish so the breaker below starts from zero.
    releaseSlow.forEach((f) => f());
    releaseSlow = [];
    await until(() => gw.handle.gateway.clusters.get('slow')!.activeRequests === 0);
  });

  t.test('circuit breaker max_requests: 503 overflow with x-envoy-overloaded', async (t) => {
    const first = send(gw.url, '/slow', { headers: { host: 'svc.example' } });
    await until(() => releaseSlow.length === 1);
    const second = await get('/slow');
    t.equal(second.status, 503);
    t.equal(second.body, `${CONNECT_ERROR}reset reason: overflow`);
    t.equal(second.headers['x-envoy-overloaded'], 'true');
    t.equal(second.headers['content-type'], 'text/plain');
    releaseSlow.forEach((f) => f());
    releaseSlow = [];
    t.equal((await first).status, 200, 'the admitted request completes');
    t.equal(await stat('cluster.slow.upstream_rq_pending_overflow'), 1);
  });
});

t.test('requests the HTTP codec cannot parse: 400 and the connection closed; the gateway serves on', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([{ match: { prefix: '/' }, route: { cluster: 'up' } }]), { max_request_headers_kb: 1 })], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const port = gw.port();
  const cases: [string, string | Buffer, number, string][] = [
    ['garbage', 'HELLO WORLD\r\n\r\n', 400, 'Bad Request'],
    ['a space in a header name', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400, 'Bad Request'],
    ['Transfer-Encoding with Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 400, 'Bad Request'],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400, 'Bad Request'],
    ['binary', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]), 400, 'Bad Request'],
    ['headers over max_request_headers_kb', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`, 431, 'Request Header Fields Too Large'],
  ];
  for (const [name, payload, status, body] of cases) {
    const ex = await rawExchange(port, payload);
    const res = parseRawResponse(ex.text);
    t.equal(res.status, status, `${name}: ${status}`);
    t.equal(res.body, body, `${name}: body`);
    t.equal(res.headers['content-type'], 'text/plain');
    t.ok(ex.closed, `${name}: connection closed`);
  }
  t.equal(up.received.length, 0, 'nothing reached the upstream');
  const after = await send(gw.url, '/still-serving');
  t.equal(after.status, 200, 'the gateway keeps serving');
  // A keep-alive connection that sent a good request and then garbage gets its response, then a 400.
  const pipelined = await rawExchange(port, 'GET /one HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP\r\n\r\n');
  t.match(pipelined.text, /^HTTP\/1\.1 200 OK/);
  t.match(pipelined.text, /HTTP\/1\.1 400 Bad Request/);
  t.ok(pipelined.closed);
});

t.test('fault filter abort: the configured status, body "fault filter abort"', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const fault = {
    name: 'envoy.filters.http.fault',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      abort: { http_status: 418, percentage: { numerator: 100, denominator: 'HUNDRED' } },
    },
  };
  const router = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([{ match: { prefix: '/' }, route: { cluster: 'up' } }]), { http_filters: [fault, router] })], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const res = await send(gw.url, '/');
  t.equal(res.status, 418);
  t.equal(res.body, 'fault filter abort');
  t.equal(res.headers['content-type'], 'text/plain');
  t.equal(up.received.length, 0, 'the upstream is not called');
  const stats = await send(gw.adminUrl, '/stats?filter=fault');
  t.match(stats.body, /http\.ingress\.fault\.aborts_injected: 1/);
});

t.test('a reply sent before the request body is complete closes the connection', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const rc = routeConfig([{ match: { prefix: '/' }, route: { cluster: 'up', timeout: '0.2s' } }], {}, ['svc.example']);
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  // 404 for a POST whose body has not arrived: Envoy closes the HTTP/1 connection after the reply.
  const early = await rawExchange(gw.port(), 'POST /x HTTP/1.1\r\nHost: elsewhere.example\r\nContent-Length: 1000\r\n\r\n0123456789');
  const res = parseRawResponse(early.text);
  t.equal(res.status, 404);
  t.equal(res.headers.connection, 'close');
  t.ok(early.closed, 'the connection is closed');
  const stalled = await rawExchange(gw.port(), 'POST /x HTTP/1.1\r\nHost: svc.example\r\nContent-Length: 1000\r\n\r\n0123456789', 700);
  t.equal(stalled.text, '', 'no 504 while the upload stalls: the route timeout starts when the request is complete');
  // Requests without a body keep their keep-alive connection, 404s included.
  const keep = await rawExchange(gw.port(), 'GET / HTTP/1.1\r\nHost: elsewhere.example\r\n\r\nGET / HTTP/1.1\r\nHost: elsewhere.example\r\n\r\n', 400);
  t.equal(keep.text.match(/HTTP\/1\.1 404/g)?.length, 2, 'both pipelined requests answered');
  t.notMatch(keep.text, /connection: close/i);
  t.notOk(keep.closed, 'the connection stays open');
});

t.test('the HCM\'s request checks: HTTP/1.0 needs accept_http_10 (426), a Host is required (400)', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const rc = routeConfig([{ match: { prefix: '/' }, route: { cluster: 'up' } }], {}, ['*']);
  const gw = await startGateway(bootstrapWith([
    httpListener('strict', rc),
    httpListener('http10', rc, { http_protocol_options: { accept_http_10: true, default_host_for_http_10: 'legacy.example' } }),
  ], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const ask = async (listener: string, request: string) => parseRawResponse((await rawExchange(gw.port(listener), request, 1000)).text);
  const refused = await ask('strict', 'GET / HTTP/1.0\r\nHost: a.example\r\n\r\n');
  t.equal(refused.status, 426, 'HTTP/1.0 without accept_http_10: 426 Upgrade Required');
  t.equal(refused.body, '');
  const noHost = await ask('strict', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
  t.equal(noHost.status, 400, 'HTTP/1.1 without Host: 400');
  t.equal(noHost.body, '');
  t.equal(up.received.length, 0);
  const legacy = await ask('http10', 'GET /old HTTP/1.0\r\n\r\n');
  t.equal(legacy.status, 200, 'accept_http_10 serves HTTP/1.0');
  t.equal(up.received[0].headers.host, 'legacy.example', 'default_host_for_http_10 fills the missing Host');
  const withHost = await ask('http10', 'GET /old HTTP/1.0\r\nHost: given.example\r\n\r\n');
  t.equal(withHost.status, 200);
  t.equal(up.received[1].headers.host, 'given.example');
});

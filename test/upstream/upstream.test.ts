/**
 * Upstream behaviour through a running gateway: STATIC and STRICT_DNS clusters, ROUND_ROBIN / RANDOM /
 * LEAST_REQUEST, keep-alive connection reuse, connect_timeout, and bodies streamed both ways (the
 * upstream sees the first bytes before the client finished; the client sees the first bytes before the
 * upstream finished).
 */
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { startUpstream, TestUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster, startGateway } from '../helpers/gateway';
import { send, until } from '../helpers/http';
import { createLoadBalancer } from '../../src/upstream/load-balancer';
import { byFamily } from '../../src/upstream/upstream-cluster';
import type { UpstreamHost } from '../../src/upstream/upstream-host';

const route = (cluster: string, prefix = '/') => ({ match: { prefix }, route: { cluster } });

async function upstreams(t: { teardown(fn: () => unknown): void }, n: number): Promise<TestUpstream[]> {
  const ups = await Promise.all(Array.from({ length: n }, (_, i) => startUpstream(`u${i}`)));
  t.teardown(() => Promise.all(ups.map((u) => u.close())));
  return ups;
}

t.test('load balancing policies', async (t) => {
  const ups = await upstreams(t, 3);
  const ports = ups.map((u) => u.port);
  const weighted = {
    name: 'weighted',
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: 'weighted',
      endpoints: [{ lb_endpoints: [
        { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: ports[0] } } }, load_balancing_weight: 2 },
        { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: ports[1] } } }, load_balancing_weight: 1 },
      ] }],
    },
  };
  const dns = {
    name: 'dns',
    type: 'STRICT_DNS',
    dns_lookup_family: 'V4_ONLY',
    connect_timeout: '1s',
    load_assignment: { cluster_name: 'dns', endpoints: [{ lb_endpoints: ports.slice(0, 2).map((port) => ({ endpoint: { address: { socket_address: { address: 'localhost', port_value: port } } } })) }] },
  };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([
    route('rr', '/rr'), route('random', '/random'), route('weighted', '/weighted'), route('dns', '/dns'),
  ]))], [
    staticCluster('rr', ports),
    staticCluster('random', ports, { lb_policy: 'RANDOM' }),
    weighted,
    dns,
  ]));
  t.teardown(() => gw.close());
  const spread = async (path: string, n: number): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await send(gw.url, path);
      const who = String(res.headers['x-upstream']);
      counts[who] = (counts[who] ?? 0) + 1;
    }
    return counts;
  };
  t.same(await spread('/rr', 15), { u0: 5, u1: 5, u2: 5 }, 'ROUND_ROBIN: an even spread');
  t.same(await spread('/weighted', 15), { u0: 10, u1: 5 }, 'ROUND_ROBIN honours load_balancing_weight 2:1');
  const random = await spread('/random', 150);
  t.same(Object.keys(random).sort(), ['u0', 'u1', 'u2'], 'RANDOM reaches every host');
  // Each host expects 50 ± 5.8; 25 is more than 4 standard deviations away.
  t.ok(Object.values(random).every((n) => n >= 25), `RANDOM spreads roughly evenly: ${JSON.stringify(random)}`);
  t.same(await spread('/dns', 4), { u0: 2, u1: 2 }, 'STRICT_DNS: localhost resolved, both endpoints used');
  const clusters = await send(gw.adminUrl, '/clusters');
  t.match(clusters.body, new RegExp(`dns::127\\.0\\.0\\.1:${ports[0]}::hostname::localhost`), '/clusters shows the DNS name');
});

t.test('LEAST_REQUEST prefers the idle host when the other is slow', async (t) => {
  const [slow, fast] = await upstreams(t, 2);
  const held: (() => void)[] = [];
  slow.setHandler((_req, res) => held.push(() => res.end('slow')));
  t.teardown(() => held.forEach((f) => f()));
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([route('lr')]))], [staticCluster('lr', [slow.port, fast.port], { lb_policy: 'LEAST_REQUEST' })]));
  t.teardown(() => gw.close());
  const N = 100;
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    const before = slow.received.length;
    const p = send(gw.url, '/');
    pending.push(p);
    // Wait until this request either completed (fast host) or is being held by the slow one.
    let settled = false;
    void p.then(() => { settled = true; });
    await until(() => settled || slow.received.length > before, 2000);
  }
  const toSlow = slow.received.length;
  // Power of two choices: once the slow host holds requests, it is picked only when both draws hit it
  // (1 in 4), against 1 in 2 for round robin or random.
  t.ok(toSlow <= 40, `${toSlow} of ${N} went to the slow host (round robin would send ${N / 2})`);
  t.equal(fast.received.length, N - toSlow);
  held.forEach((f) => f());
  held.length = 0;
  await Promise.all(pending);
});

t.test('load balancer units', async (t) => {
  const host = (name: string, active = 0, weight = 1, healthy = true) => ({ name, active, weight, healthy }) as unknown as UpstreamHost & { name: string };
  const seq = (...values: number[]) => () => values.shift() ?? 0;
  const busy = host('busy', 5);
  const idle = host('idle', 0);
  const lr = createLoadBalancer('LEAST_REQUEST', [busy, idle], seq(0, 0.9));
  t.equal((lr.pick() as typeof busy).name, 'idle', 'two choices: the one with fewer active requests wins');
  const lrSame = createLoadBalancer('LEAST_REQUEST', [busy, idle], seq(0, 0.1));
  t.equal((lrSame.pick() as typeof busy).name, 'busy', 'both choices on the busy host: it is picked');
  // Envoy's healthy panic threshold (50 %): with fewer healthy hosts, all hosts are used.
  const panic = createLoadBalancer('ROUND_ROBIN', [host('a', 0, 1, false), host('b', 0, 1, false), host('c')]);
  t.equal(panic.panic, true);
  t.same([panic.pick(), panic.pick(), panic.pick()].map((h) => (h as unknown as { name: string }).name), ['a', 'b', 'c']);
  const healthyOnly = createLoadBalancer('ROUND_ROBIN', [host('a', 0, 1, false), host('b'), host('c')]);
  t.equal(healthyOnly.panic, false);
  t.same([healthyOnly.pick(), healthyOnly.pick(), healthyOnly.pick()].map((h) => (h as unknown as { name: string }).name), ['b', 'c', 'b']);
  t.equal(createLoadBalancer('RANDOM', []).pick(), undefined, 'no hosts: nothing to pick');

  const addrs = [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }];
  t.same(byFamily(addrs, 'V4_ONLY').map((a) => a.address), ['127.0.0.1']);
  t.same(byFamily(addrs, 'V6_ONLY').map((a) => a.address), ['::1']);
  t.same(byFamily(addrs, 'AUTO').map((a) => a.address), ['::1'], 'AUTO prefers IPv6');
  t.same(byFamily([addrs[1]], 'AUTO').map((a) => a.address), ['127.0.0.1'], 'AUTO falls back to IPv4');
  t.same(byFamily(addrs, 'V4_PREFERRED').map((a) => a.address), ['127.0.0.1']);
  t.same(byFamily(addrs, 'ALL').length, 2);
});

t.test('keep-alive: upstream connections are reused', async (t) => {
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const port = (server.address() as AddressInfo).port;
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([route('ka')]))], [staticCluster('ka', [port])]));
  t.teardown(() => gw.close());
  for (let i = 0; i < 20; i++) t.equal((await send(gw.url, `/${i}`, { method: i % 2 ? 'POST' : 'GET', ...(i % 2 ? { body: 'x' } : {}) })).status, 200);
  t.equal(connections, 1, '20 sequential requests share one upstream connection');
  await Promise.all(Array.from({ length: 4 }, (_, i) => send(gw.url, `/c${i}`)));
  t.ok(connections <= 5, `concurrent requests open at most one connection each (${connections})`);
});

t.test('connect_timeout: an upstream that never accepts', async (t) => {
  // A listener whose process is blocked cannot accept: once its accept queue is full, the kernel drops
  // further SYNs and a connect hangs — a local stand-in for an unroutable address.
  const child = spawn(process.execPath, ['-e', `
    const s = require('net').createServer();
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n');
      setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000), 20);
    });`], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  await new Promise((r) => setTimeout(r, 100));
  const fillers = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1').on('error', () => undefined));
  t.teardown(() => fillers.forEach((s) => s.destroy()));
  await new Promise((r) => setTimeout(r, 100));
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([route('blackhole')]))], [staticCluster('blackhole', [port], { connect_timeout: '0.25s' })]));
  t.teardown(() => gw.close());
  const started = performance.now();
  const res = await send(gw.url, '/');
  const elapsed = performance.now() - started;
  t.equal(res.status, 503);
  t.equal(res.body, 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout');
  t.ok(elapsed >= 240 && elapsed < 750, `answered when connect_timeout expired (${elapsed.toFixed(0)} ms for 250 ms)`);
  const stats = await send(gw.adminUrl, '/stats?filter=cluster.blackhole.upstream_cx_connect_fail');
  t.match(stats.body, /upstream_cx_connect_fail: 1/);
});

t.test('bodies are streamed, not buffered', async (t) => {
  let firstChunkAt = 0;
  let upstreamGotFirst: () => void = () => undefined;
  const gotFirst = new Promise<void>((r) => { upstreamGotFirst = r; });
  let releaseResponse: () => void = () => undefined;
  const server = http.createServer((req, res) => {
    if (req.url === '/upload') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        if (chunks.length === 0) {
          firstChunkAt = performance.now();
          upstreamGotFirst();
        }
        chunks.push(c);
      });
      req.on('end', () => res.end(`received ${Buffer.concat(chunks).length}`));
      return;
    }
    // /download: the first part now, the rest only once the client said it saw the first part.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first-part;');
    releaseResponse = () => res.end('second-part');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const port = (server.address() as AddressInfo).port;
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([route('s')]))], [staticCluster('s', [port])]));
  t.teardown(() => gw.close());
  const gwPort = gw.port();

  t.test('request body: the upstream reads the first chunk before the client sends the last', async (t) => {
    const result = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gwPort, path: '/upload', method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1000, 1));
      // The rest is sent only after the upstream saw the first chunk: a buffering proxy would deadlock here.
      void gotFirst.then(() => {
        const lastSentAt = performance.now();
        t.ok(firstChunkAt <= lastSentAt, 'first chunk upstream before the client finished');
        req.end(Buffer.alloc(2000, 2));
      });
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('request body was buffered: the upstream never saw the first chunk')), 3000));
    const res = await Promise.race([result, timeout]);
    t.equal(res.status, 200);
    t.equal(res.body, 'received 3000');
  });

  t.test('response body: the client reads the first part before the upstream sends the rest', async (t) => {
    const result = new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: gwPort, path: '/download' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body === '') releaseResponse();
          body += c;
        });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('response body was buffered: the client never saw the first part')), 3000));
    t.equal(await Promise.race([result, timeout]), 'first-part;second-part');
  });
});

t.test('a client that goes away cancels the upstream request (before and after response headers)', async (t) => {
  let upstreamClosed = 0;
  let upstreamStarted = 0;
  const server = http.createServer((req, res) => {
    upstreamStarted++;
    res.on('close', () => { upstreamClosed++; });
    if (req.url === '/mid') {
      res.writeHead(200);
      res.write('part');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const port = (server.address() as AddressInfo).port;
  const gw = await startGateway(bootstrapWith([httpListener('ingress', routeConfig([{ match: { prefix: '/' }, route: { cluster: 's', timeout: '0s' } }]))], [staticCluster('s', [port])]));
  t.teardown(() => gw.close());
  const cluster = () => gw.handle.gateway.clusters.get('s')!;
  for (const path of ['/before', '/mid']) {
    const closedBefore = upstreamClosed;
    upstreamStarted = 0;
    let gotHeaders = false;
    const req = http.get({ host: '127.0.0.1', port: gw.port(), path });
    req.on('error', () => undefined);
    req.on('response', (res) => {
      gotHeaders = true;
      res.resume();
    });
    await until(() => upstreamStarted === 1 && cluster().activeRequests === 1 && (path !== '/mid' || gotHeaders));
    req.destroy();
    await until(() => upstreamClosed > closedBefore);
    t.pass(`${path}: the upstream saw its request cancelled`);
    await until(() => cluster().activeRequests === 0);
    t.pass(`${path}: the request slot is released`);
  }
});

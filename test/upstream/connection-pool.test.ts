/**
 * ConnectionPool against real HTTP servers on 127.0.0.1: one request per connection, connections
 * reused (most recently used first), requests beyond the connection limit wait in FIFO order, a
 * connection that failed to connect is replaced, close() lets waiting requests finish, destroy() fails them.
 */
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConnectionPool } from '../../src/upstream/connection-pool';
import { until } from '../helpers/http';

interface Server {
  url: string;
  /** request paths in arrival order */
  seen: string[];
  /** distinct client sockets that sent requests */
  sockets: Set<net.Socket>;
  /** answers the oldest held request (hold mode) */
  releaseOne(): void;
}

async function server(t: Tap.Test, hold: boolean): Promise<Server> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const held: http.ServerResponse[] = [];
  const srv = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    sockets.add(req.socket);
    if (hold) held.push(res);
    else res.end(req.url);
  });
  srv.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen, sockets, releaseOne: () => held.shift()?.end('ok') };
}

async function get(pool: ConnectionPool, path: string): Promise<string> {
  const res = await pool.request({ method: 'GET', path });
  return res.body.text();
}


t.test('sequential requests reuse one keep-alive connection', async (t) => {
  const s = await server(t, false);
  const pool = new ConnectionPool(s.url, { connections: 10 });
  t.teardown(() => pool.destroy());
  for (let i = 0; i < 5; i++) t.equal(await get(pool, `/r${i}`), `/r${i}`);
  // A connection is free again on undici's 'drain', which comes just after the body: a request sent in
  // the same tick opens a second connection, exactly as with undici's own Pool — never more.
  t.ok(s.sockets.size <= 2, `at most two connections for five sequential requests (${s.sockets.size})`);
  t.equal(pool.stats.size, s.sockets.size);
  t.equal(pool.stats.connected, s.sockets.size);
});

t.test('concurrent requests open one connection each, up to the limit; the rest wait in order', async (t) => {
  const s = await server(t, true);
  const pool = new ConnectionPool(s.url, { connections: 2 });
  t.teardown(() => pool.destroy());
  const replies = ['/a', '/b', '/c', '/d'].map((p) => get(pool, p));
  await until(() => s.seen.length === 2);
  t.same(s.seen, ['/a', '/b'], 'two connections, two requests in flight');
  t.equal(pool.stats.queued, 2, 'two waiting');
  s.releaseOne();
  await until(() => s.seen.length === 3);
  t.equal(s.seen[2], '/c', 'the oldest waiting request goes first');
  s.releaseOne();
  await until(() => s.seen.length === 4);
  t.equal(s.seen[3], '/d');
  s.releaseOne();
  s.releaseOne();
  t.same(await Promise.all(replies), ['ok', 'ok', 'ok', 'ok']);
  t.equal(s.sockets.size, 2, 'never more than two connections');
  t.equal(pool.stats.queued, 0);
});

t.test('a refused connection fails its request and is replaced by a new one', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const pool = new ConnectionPool(`http://127.0.0.1:${port}`, { connections: 1 });
  t.teardown(() => pool.destroy());
  await t.rejects(get(pool, '/x'), { code: 'ECONNREFUSED' });
  await until(() => pool.stats.size === 0);
  // Something listens there now: the next request gets a fresh connection.
  const srv = http.createServer((req, res) => res.end('up'));
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  t.equal(await get(pool, '/y'), 'up');
});

t.test('close() lets in-flight and waiting requests finish; destroy() fails waiting ones', async (t) => {
  const s = await server(t, true);
  const pool = new ConnectionPool(s.url, { connections: 1 });
  const first = get(pool, '/1');
  const second = get(pool, '/2');
  await until(() => s.seen.length === 1);
  const closed = pool.close();
  await t.rejects(get(pool, '/late'), { code: 'UND_ERR_CLOSED' }, 'no new requests once closing');
  s.releaseOne();
  await until(() => s.seen.length === 2);
  s.releaseOne();
  t.same(await Promise.all([first, second]), ['ok', 'ok']);
  await closed;

  const s2 = await server(t, true);
  const pool2 = new ConnectionPool(s2.url, { connections: 1 });
  const inFlight = get(pool2, '/a');
  const waiting = get(pool2, '/b');
  await until(() => s2.seen.length === 1);
  const failures = [t.rejects(waiting, { code: 'UND_ERR_DESTROYED' }, 'the waiting request fails'), t.rejects(inFlight, 'the in-flight one is torn down')];
  await pool2.destroy();
  await Promise.all(failures);
});

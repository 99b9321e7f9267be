/**
 * Bodies are read once and sent to both: the primary is streamed as bytes arrive, the shadow leaves with
 * the whole body; over the buffer limit the shadow is given up (retry_or_shadow_abandoned) while the
 * primary still gets everything; a client that aborts mid-body gets no shadow.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { eventually, mirrorRoute, startMirrorGateway, stat } from './helpers';

const LIMIT = 64 * 1024;

async function setup(t: { teardown: (fn: () => unknown) => void }, listenerExtra: object = { per_connection_buffer_limit_bytes: LIMIT }) {
  const primary = await startUpstream('primary');
  const shadow = await startUpstream('shadow');
  t.teardown(() => Promise.all([primary.close(), shadow.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [{ ...httpListener('ingress', routeConfig([mirrorRoute('/', 'primary', [{ cluster: 'shadow' }])])), ...listenerExtra }],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());
  return { primary, shadow, gw };
}

t.test('a body over per_connection_buffer_limit_bytes: primary gets it all, the shadow is abandoned and counted', async (t) => {
  const { primary, shadow, gw } = await setup(t);
  const big = Buffer.alloc(200 * 1024, 'b');
  const res = await request(`${gw.url}/big`, { method: 'POST', body: big });
  t.equal(res.statusCode, 200);
  await res.body.text();
  const [p] = await primary.waitFor(1);
  t.ok(p.body.equals(big), 'primary got all 200 KiB');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(shadow.received.length, 0, 'no shadow');
  t.equal(stat(gw, 'cluster.primary.retry_or_shadow_abandoned'), 1);
  t.equal(stat(gw, 'cluster.shadow.shadow_dropped'), 1);
  t.equal(stat(gw, 'cluster.shadow.shadow_sent'), 0);

  // Exactly the limit still shadows (Envoy abandons when buffered + incoming > limit).
  const exact = Buffer.alloc(LIMIT, 'e');
  const res2 = await request(`${gw.url}/exact`, { method: 'POST', body: exact });
  await res2.body.text();
  const [s] = await shadow.waitFor(1);
  t.ok(s.body.equals(exact), 'a body of exactly the limit is shadowed');
  t.equal(stat(gw, 'cluster.primary.retry_or_shadow_abandoned'), 1);
});

t.test('the default limit is 1 MiB', async (t) => {
  const { primary, shadow, gw } = await setup(t, {});
  const over = Buffer.alloc(1024 * 1024 + 1, 'o');
  const res = await request(`${gw.url}/over`, { method: 'PUT', body: over });
  await res.body.text();
  t.equal((await primary.waitFor(1))[0].body.length, over.length);
  t.equal(stat(gw, 'cluster.primary.retry_or_shadow_abandoned'), 1);
  const atLimit = Buffer.alloc(1024 * 1024, 'l');
  const res2 = await request(`${gw.url}/at`, { method: 'PUT', body: atLimit });
  await res2.body.text();
  t.equal((await shadow.waitFor(1))[0].body.length, atLimit.length);
});

t.test('the primary is streamed while the body arrives; the shadow leaves with the whole body', async (t) => {
  let firstChunkAt = 0;
  let primaryBody = '';
  const upstream = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      if (!firstChunkAt) firstChunkAt = performance.now();
      primaryBody += c.toString();
    });
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));
  const shadow = await startUpstream('shadow');
  t.teardown(() => shadow.close());
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([mirrorRoute('/', 'primary', [{ cluster: 'shadow' }])]))],
    [staticCluster('primary', [(upstream.address() as AddressInfo).port]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());

  const body = new PassThrough();
  const pending = request(`${gw.url}/stream`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  body.write('first part;');
  await eventually(() => firstChunkAt > 0, 3000, 'first chunk at the primary');
  const sentRestAt = performance.now();
  t.equal(shadow.received.length, 0, 'the shadow waits for the whole body');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(shadow.received.length, 0);
  body.end('second part');
  const res = await pending;
  t.equal(await res.body.text(), 'ok');
  t.ok(firstChunkAt < sentRestAt, 'the primary saw bytes before the client finished');
  t.equal(primaryBody, 'first part;second part');
  const [s] = await shadow.waitFor(1);
  t.equal(s.body.toString(), 'first part;second part');
  t.equal(s.headers['transfer-encoding'], undefined, 'buffered shadow carries a length');
  t.equal(s.headers['content-length'], String('first part;second part'.length));
});

t.test('a client that aborts mid-body gets no shadow, and the gateway carries on', async (t) => {
  const { primary, shadow, gw } = await setup(t);
  const port = Number(new URL(gw.url).port);
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write('POST /abort HTTP/1.1\r\nhost: x\r\ncontent-length: 50000\r\n\r\n');
  sock.write(Buffer.alloc(1000, 'a'));
  await new Promise((r) => setTimeout(r, 100));
  sock.destroy();
  await new Promise((r) => setTimeout(r, 200));
  t.equal(shadow.received.length, 0, 'no shadow for an aborted request');
  t.equal(stat(gw, 'cluster.shadow.shadow_sent'), 0);
  const res = await request(`${gw.url}/after`, { method: 'POST', body: 'fine' });
  t.equal(res.statusCode, 200);
  await res.body.text();
  await shadow.waitFor(1);
  t.equal(shadow.received[0].url, '/after');
  t.ok(primary.received.every((r) => r.url === '/after'), 'the aborted request never completed at the primary');
});

t.test('a primary that fails before reading the body does not leave the client connection hanging', async (t) => {
  const shadow = await startUpstream('shadow');
  t.teardown(() => shadow.close());
  const { closedPort } = await import('../helpers/upstream');
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([mirrorRoute('/', 'primary', [{ cluster: 'shadow' }])]))],
    [staticCluster('primary', [await closedPort()]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());
  const res = await request(`${gw.url}/down`, { method: 'POST', body: Buffer.alloc(300 * 1024, 'd') });
  t.equal(res.statusCode, 503);
  await res.body.text();
  const res2 = await request(`${gw.url}/down-again`, { method: 'POST', body: 'small' });
  t.equal(res2.statusCode, 503);
  await res2.body.text();
});

/**
 * The shadow sees exactly what the primary sees: method, rewritten path, query, body and headers
 * (route request_headers_to_add, same x-request-id), with Envoy's Host rule and async-client headers.
 */
import t from 'tap';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { envoyLocalAddress } from '../../src/mirror/shadow-headers';
import { mirrorRoute, startMirrorGateway } from './helpers';

t.test('method, rewritten path, query, headers and a 512 KiB body arrive identical at the shadow', async (t) => {
  const primary = await startUpstream('primary');
  const shadow = await startUpstream('shadow');
  t.teardown(() => Promise.all([primary.close(), shadow.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([
      mirrorRoute('/api/', 'primary', [{ cluster: 'shadow' }], { prefix_rewrite: '/v2/' }, {
        request_headers_to_add: [{ header: { key: 'x-added', value: 'by-route' } }],
      }),
    ]))],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());

  const body = Buffer.alloc(512 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
  const res = await request(`${gw.url}/api/items?q=1&r=%20x`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', 'x-custom': 'abc', host: 'shop.example:8080' },
  });
  t.equal(res.statusCode, 200);
  await res.body.text();
  const [p] = await primary.waitFor(1);
  const [s] = await shadow.waitFor(1);
  t.equal(s.method, 'POST');
  t.equal(s.url, '/v2/items?q=1&r=%20x');
  t.equal(s.url, p.url);
  t.ok(s.body.equals(body), 'shadow body byte-identical');
  t.ok(p.body.equals(body), 'primary body byte-identical');
  t.equal(s.headers['x-added'], 'by-route');
  t.equal(s.headers['x-custom'], 'abc');
  t.equal(s.headers['x-request-id'], p.headers['x-request-id']);
  t.equal(s.headers['x-envoy-original-path'], '/api/items?q=1&r=%20x');
  t.equal(s.headers.host, 'shop.example-shadow:8080');
  t.equal(p.headers.host, 'shop.example:8080');
  t.equal(s.headers['x-envoy-internal'], 'true');
  t.equal(p.headers['x-envoy-internal'], undefined);
  // use_remote_address is off here, so the primary has no XFF and the shadow's holds only our address.
  t.equal(p.headers['x-forwarded-for'], undefined);
  t.equal(s.headers['x-forwarded-for'], envoyLocalAddress());
  t.equal(s.headers['content-length'], String(body.length));
  // Everything else the primary got, the shadow got too.
  const skip = new Set(['host', 'x-envoy-internal', 'x-forwarded-for', 'connection', 'transfer-encoding', 'content-length']);
  for (const [k, v] of Object.entries(p.headers)) if (!skip.has(k)) t.same(s.headers[k], v, `header ${k}`);
});

/**
 * Shadow stats in /stats and /stats/prometheus, the shadow in /config_dump, and the optional gateway-wide
 * settings (strip headers, method filter; off by default) from options and the environment. Also the
 * requests Envoy never shadows: CONNECT/upgrade and routes without a primary.
 */
import net from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { parseShadowOptions, resolveShadowOptions } from '../../src/mirror/shadow-options';
import { ShadowgateError } from '../../src/errors';
import { eventually, mirrorRoute, startMirrorGateway, stat } from './helpers';

async function twoUpstreams(t: { teardown: (fn: () => unknown) => void }) {
  const primary = await startUpstream('primary');
  const shadow = await startUpstream('shadow');
  t.teardown(() => Promise.all([primary.close(), shadow.close()]));
  return { primary, shadow };
}

t.test('shadow counters in /stats and /stats/prometheus; the policy in /config_dump', async (t) => {
  const { primary, shadow } = await twoUpstreams(t);
  shadow.setHandler((req, res) => {
    res.writeHead(req.url.startsWith('/fail') ? 503 : 200);
    res.end('shadow says hi');
  });
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([
      mirrorRoute('/never', 'primary', [{ cluster: 'shadow', runtime_fraction: { default_value: { numerator: 0 } } }]),
      mirrorRoute('/', 'primary', [{ cluster: 'shadow' }]),
    ]))],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());
  for (const path of ['/ok', '/ok', '/fail', '/never']) await (await request(`${gw.url}${path}`)).body.text();
  await eventually(() => stat(gw, 'cluster.shadow.shadow_succeeded') + stat(gw, 'cluster.shadow.shadow_failed') === 3, 3000, 'shadows finished');

  const text = await (await request(`${gw.adminUrl}/stats`)).body.text();
  t.match(text, /^cluster\.shadow\.shadow_sent: 3$/m);
  t.match(text, /^cluster\.shadow\.shadow_succeeded: 2$/m);
  t.match(text, /^cluster\.shadow\.shadow_failed: 1$/m);
  t.match(text, /^cluster\.shadow\.shadow_skipped: 1$/m);
  t.match(text, /^cluster\.shadow\.shadow_dropped: 0$/m);
  // Envoy: "All normal statistics are collected for the shadow cluster".
  t.match(text, /^cluster\.shadow\.upstream_rq_total: 3$/m);
  t.match(text, /^cluster\.shadow\.upstream_rq_503: 1$/m);

  const prom = await (await request(`${gw.adminUrl}/stats/prometheus`)).body.text();
  t.match(prom, /# TYPE envoy_cluster_shadow_sent counter/);
  t.match(prom, /^envoy_cluster_shadow_sent\{envoy_cluster_name="shadow"\} 3$/m);
  t.match(prom, /^envoy_cluster_shadow_succeeded\{envoy_cluster_name="shadow"\} 2$/m);
  t.match(prom, /^envoy_cluster_shadow_failed\{envoy_cluster_name="shadow"\} 1$/m);
  t.match(prom, /^envoy_cluster_shadow_skipped\{envoy_cluster_name="shadow"\} 1$/m);

  const dump = await (await request(`${gw.adminUrl}/config_dump`)).body.text();
  t.match(dump, /"request_mirror_policies"/);
  t.match(dump, /"cluster":\s*"shadow"/);
});

t.test('CONNECT/upgrade requests and routes without a primary are never shadowed', async (t) => {
  const { primary, shadow } = await twoUpstreams(t);
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', {
      name: 'rc',
      // Route-configuration policies would apply to every route that has none of its own.
      request_mirror_policies: [{ cluster: 'shadow' }],
      virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [
        { match: { prefix: '/direct' }, direct_response: { status: 200, body: { inline_string: 'direct' } } },
        { match: { prefix: '/byheader' }, route: { cluster_header: 'x-cluster' } },
        mirrorRoute('/', 'primary', []),
      ] }],
    })],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());
  const direct = await request(`${gw.url}/direct`);
  t.equal(await direct.body.text(), 'direct');
  const nc = await request(`${gw.url}/byheader`, { headers: { 'x-cluster': 'nope' } });
  t.equal(nc.statusCode, 503);
  await nc.body.text();
  // An upgrade request, written by hand (undici refuses Connection: upgrade).
  const port = Number(new URL(gw.url).port);
  await new Promise<void>((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write('GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'));
    sock.on('data', () => sock.destroy());
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
    setTimeout(() => sock.destroy(), 500);
  });
  const ok = await request(`${gw.url}/normal`);
  await ok.body.text();
  await shadow.waitFor(1);
  await new Promise((r) => setTimeout(r, 100));
  t.same(shadow.received.map((r) => r.url), ['/normal'], 'only the proxied, non-upgrade request was shadowed');
  t.same(primary.received.map((r) => r.url), ['/ws', '/normal'], 'the upgrade request did reach the primary');
});

t.test('strip headers and the method filter (gateway options, off by default)', async (t) => {
  const { primary, shadow } = await twoUpstreams(t);
  const bootstrap = bootstrapWith(
    [httpListener('ingress', routeConfig([
      mirrorRoute('/native', 'primary', [{ cluster: 'shadow', request_headers_mutations: [{ remove: 'authorization' }, { append: { header: { key: 'x-shadow', value: '1' } } }] }]),
      mirrorRoute('/', 'primary', [{ cluster: 'shadow' }]),
    ]))],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port])],
  );
  const headers = { authorization: 'Bearer secret', cookie: 'session=1', 'x-keep': 'yes' };

  // Default: everything is copied, every method is mirrored (Envoy).
  const plain = await startMirrorGateway(bootstrap);
  await (await request(`${plain.url}/a`, { method: 'DELETE', headers })).body.text();
  const [s0] = await shadow.waitFor(1);
  t.equal(s0.method, 'DELETE');
  t.equal(s0.headers.authorization, 'Bearer secret');
  t.equal(s0.headers.cookie, 'session=1');
  // Envoy-native per policy: request_headers_mutations.
  await (await request(`${plain.url}/native`, { headers })).body.text();
  const s1 = (await shadow.waitFor(2))[1];
  t.equal(s1.headers.authorization, undefined);
  t.equal(s1.headers['x-shadow'], '1');
  t.equal(s1.headers.cookie, 'session=1');
  await plain.close();

  const strict = await startMirrorGateway(bootstrap, { shadow: { stripHeaders: 'Authorization, cookie', methods: 'get,HEAD' } });
  t.teardown(() => strict.close());
  await (await request(`${strict.url}/b`, { headers })).body.text();
  const s2 = (await shadow.waitFor(3))[2];
  t.equal(s2.url, '/b');
  t.equal(s2.headers.authorization, undefined);
  t.equal(s2.headers.cookie, undefined);
  t.equal(s2.headers['x-keep'], 'yes');
  const p = primary.received[primary.received.length - 1];
  t.equal(p.headers.authorization, 'Bearer secret', 'the primary keeps its credentials');
  for (const method of ['POST', 'DELETE', 'PUT']) await (await request(`${strict.url}/w`, { method, headers, body: method === 'DELETE' ? null : 'x' })).body.text();
  await (await request(`${strict.url}/h`, { method: 'HEAD', headers })).body.text();
  await shadow.waitFor(4);
  await new Promise((r) => setTimeout(r, 100));
  t.same(shadow.received.slice(3).map((r) => `${r.method} ${r.url}`), ['HEAD /h'], 'writes not mirrored');
  t.equal(stat(strict, 'cluster.shadow.shadow_skipped'), 3);
});

t.test('option parsing: flags win over SHADOWGATE_SHADOW_*, bad tokens are usage errors', async (t) => {
  t.same(resolveShadowOptions({}, {}), { stripHeaders: [] });
  const env = { SHADOWGATE_SHADOW_STRIP_HEADERS: 'cookie', SHADOWGATE_SHADOW_METHODS: 'GET' };
  const fromEnv = resolveShadowOptions({}, env);
  t.same(fromEnv.stripHeaders, ['cookie']);
  t.same([...fromEnv.methods!], ['GET']);
  const mixed = resolveShadowOptions({ stripHeaders: 'authorization,cookie' }, env);
  t.same(mixed.stripHeaders, ['authorization', 'cookie']);
  t.same([...mixed.methods!], ['GET']);
  t.same(parseShadowOptions({ methods: '' }).methods, undefined, 'empty list = every method');
  t.throws(() => parseShadowOptions({ stripHeaders: 'bad header' }), ShadowgateError);
  t.throws(() => parseShadowOptions({ methods: 'G E T' }), ShadowgateError);
});

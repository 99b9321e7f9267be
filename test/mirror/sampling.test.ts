/**
 * Which shadows a request gets: runtime_fraction per policy (each on its own random draw), the most
 * specific non-empty policy list (route > virtual host > route configuration, never merged), and
 * cluster_header present / absent / unknown.
 */
import t from 'tap';
import { Pool, request } from 'undici';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, staticCluster } from '../helpers/gateway';
import { eventually, mirrorRoute, startMirrorGateway, stat } from './helpers';

const N = 2000;

/** Sends `n` GETs over `concurrency` keep-alive connections; returns how many were not a 200. */
async function load(base: string, path: string, n: number, concurrency = 16): Promise<number> {
  const pool = new Pool(base, { connections: concurrency });
  let next = 0;
  let bad = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const res = await request(`${base}${path}?i=${i}`, { dispatcher: pool });
      await res.body.text();
      if (res.statusCode !== 200) bad++;
    }
  }));
  await pool.close();
  return bad;
}

t.test('runtime_fraction 10 % over 2,000 requests; two 50 % policies sample independently', async (t) => {
  const primary = await startUpstream('primary');
  const ten = await startUpstream('ten');
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  t.teardown(() => Promise.all([primary.close(), ten.close(), a.close(), b.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', { name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [
      mirrorRoute('/ten', 'primary', [{ cluster: 'ten', runtime_fraction: { default_value: { numerator: 10, denominator: 'HUNDRED' } } }]),
      mirrorRoute('/pair', 'primary', [
        { cluster: 'a', runtime_fraction: { default_value: { numerator: 5000, denominator: 'TEN_THOUSAND' } } },
        { cluster: 'b', runtime_fraction: { default_value: { numerator: 500000, denominator: 'MILLION' } } },
      ]),
    ] }] })],
    [staticCluster('primary', [primary.port]), staticCluster('ten', [ten.port]), staticCluster('a', [a.port]), staticCluster('b', [b.port])],
  ));
  t.teardown(() => gw.close());

  t.equal(await load(gw.url, '/ten', N), 0, 'every primary answer 200');
  const sent = stat(gw, 'cluster.ten.shadow_sent');
  await eventually(() => ten.received.length === sent, 5000, 'shadows delivered');
  // 10 % of 2,000 = 200, sigma = sqrt(2000 * 0.1 * 0.9) ≈ 13.4 requests = 0.67 points; ±3.5 points is > 5 sigma.
  const share = (100 * sent) / N;
  t.ok(share >= 6.5 && share <= 13.5, `10 % policy mirrored ${share.toFixed(2)} %`);
  t.equal(stat(gw, 'cluster.ten.shadow_skipped'), N - sent, 'the rest counted as skipped');

  t.equal(await load(gw.url, '/pair', N), 0, 'every primary answer 200');
  const sentA = stat(gw, 'cluster.a.shadow_sent');
  const sentB = stat(gw, 'cluster.b.shadow_sent');
  await eventually(() => a.received.length === sentA && b.received.length === sentB, 5000, 'pair delivered');
  const idsA = new Set(a.received.map((r) => r.headers['x-request-id']));
  const both = b.received.filter((r) => idsA.has(r.headers['x-request-id'])).length;
  const onlyA = sentA - both;
  const onlyB = sentB - both;
  const neither = N - both - onlyA - onlyB;
  // Independent 50 % draws: each of the four cells is 25 % (sigma ≈ 0.97 points); one shared draw would
  // give both = 50 %, onlyA = onlyB = 0.
  for (const [name, count] of [['both', both], ['only a', onlyA], ['only b', onlyB], ['neither', neither]] as const) {
    const pct = (100 * count) / N;
    t.ok(pct >= 20 && pct <= 30, `${name}: ${pct.toFixed(2)} % (expect 25 %)`);
  }
});

t.test('the most specific non-empty policy list wins, lists are not merged', async (t) => {
  const primary = await startUpstream('primary');
  const rcM = await startUpstream('rc-mirror');
  const vhM = await startUpstream('vh-mirror');
  const rtM = await startUpstream('route-mirror');
  t.teardown(() => Promise.all([primary.close(), rcM.close(), vhM.close(), rtM.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', {
      name: 'rc',
      request_mirror_policies: [{ cluster: 'rc-mirror' }],
      virtual_hosts: [
        { name: 'with-vh-policies', domains: ['vh.example'], request_mirror_policies: [{ cluster: 'vh-mirror' }], routes: [
          mirrorRoute('/route', 'primary', [{ cluster: 'route-mirror' }]),
          mirrorRoute('/', 'primary', []),
        ] },
        { name: 'plain', domains: ['*'], routes: [mirrorRoute('/', 'primary', [])] },
      ],
    })],
    [staticCluster('primary', [primary.port]), ...['rc-mirror', 'vh-mirror', 'route-mirror'].map((c, i) => staticCluster(c, [[rcM, vhM, rtM][i].port]))],
  ));
  t.teardown(() => gw.close());
  const cases: [string, string, string][] = [
    ['vh.example', '/route', 'route-mirror'],
    ['vh.example', '/other', 'vh-mirror'],
    ['other.example', '/x', 'rc-mirror'],
  ];
  for (const [host, path, want] of cases) {
    const res = await request(`${gw.url}${path}`, { headers: { host } });
    await res.body.text();
    t.equal(res.statusCode, 200);
  }
  await rtM.waitFor(1);
  await vhM.waitFor(1);
  await rcM.waitFor(1);
  await new Promise((r) => setTimeout(r, 100));
  t.same(rtM.received.map((r) => r.url), ['/route']);
  t.same(vhM.received.map((r) => r.url), ['/other']);
  t.same(rcM.received.map((r) => r.url), ['/x']);
  for (const [, , c] of cases) t.equal(stat(gw, `cluster.${c}.shadow_sent`), 1, `${c} sent once`);
});

t.test('cluster_header: present → that cluster, absent or unknown → no shadow, counted', async (t) => {
  const primary = await startUpstream('primary');
  const shadow = await startUpstream('shadow');
  t.teardown(() => Promise.all([primary.close(), shadow.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', { name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [
      mirrorRoute('/', 'primary', [{ cluster_header: 'X-Mirror-To' }]),
    ] }] })],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());
  const send = async (headers: Record<string, string>): Promise<void> => {
    const res = await request(`${gw.url}/h`, { headers });
    t.equal(res.statusCode, 200, 'primary unaffected');
    await res.body.text();
  };
  await send({ 'x-mirror-to': 'shadow' });
  await shadow.waitFor(1);
  await send({});
  await send({ 'x-mirror-to': '' });
  await send({ 'x-mirror-to': 'no-such-cluster' });
  await new Promise((r) => setTimeout(r, 100));
  t.equal(shadow.received.length, 1);
  t.equal(primary.received.length, 4);
  t.equal(stat(gw, 'cluster.shadow.shadow_sent'), 1);
  t.equal(stat(gw, 'http.ingress.shadow_no_cluster'), 3);
  // A client-chosen name never becomes a stat.
  t.notMatch(gw.handle.gateway.stats.text(), /no-such-cluster/);
});

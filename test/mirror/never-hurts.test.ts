/**
 * Fire and forget: whatever the shadow does (3 s slow, refusing, resetting mid-body, never answering,
 * 5xx), the primary's answers are correct and as fast as on a route without a mirror, measured in the
 * same test; and on one keep-alive connection a slow shadow never holds the next request (nginx's
 * `mirror` does: its subrequest must finish before the connection reads on).
 */
import t from 'tap';
import { closedPort, startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { eventually, median, mirrorRoute, oneConnection, startMirrorGateway, startResettingUpstream, stat, timed } from './helpers';

const ROUNDS = 21;
/**
 * Allowed median of the paired differences (mirrored − plain, request by request, same moment): a shadow
 * that blocked would add its whole delay (3 s); pairing cancels most of a busy machine's noise.
 */
const TOLERANCE_MS = 20;

t.test('the primary never notices a misbehaving shadow', async (t) => {
  const primary = await startUpstream('primary');
  const slow = await startUpstream('slow', (_req, res) => {
    setTimeout(() => res.end('late'), 3000).unref();
  });
  const hang = await startUpstream('hang', () => undefined);
  const failing = await startUpstream('failing', (_req, res) => {
    res.writeHead(500);
    res.end('boom');
  });
  const resetting = await startResettingUpstream();
  const refused = await closedPort();
  t.teardown(() => Promise.all([primary.close(), slow.close(), hang.close(), failing.close(), resetting.close()]));

  const kinds: Record<string, number> = { slow: slow.port, hang: hang.port, failing: failing.port, resetting: resetting.port, refused };
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([
      mirrorRoute('/plain', 'primary', []),
      ...Object.keys(kinds).map((k) => mirrorRoute(`/m/${k}`, 'primary', [{ cluster: k }])),
    ]))],
    [staticCluster('primary', [primary.port]), ...Object.entries(kinds).map(([k, port]) => staticCluster(k, [port]))],
  ));
  t.teardown(() => gw.close());

  const body = Buffer.alloc(64 * 1024, 'x');
  for (const kind of Object.keys(kinds)) {
    await t.test(`shadow ${kind}`, async (t) => {
      const plainConn = oneConnection(gw.url);
      const mirrorConn = oneConnection(gw.url);
      t.teardown(() => Promise.all([plainConn.close(), mirrorConn.close()]));
      // Warm both connections and the upstream pools.
      await timed(plainConn, `${gw.url}/plain`, { method: 'POST', body });
      await timed(mirrorConn, `${gw.url}/m/${kind}`, { method: 'POST', body });
      const plain: number[] = [];
      const mirrored: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const a = await timed(plainConn, `${gw.url}/plain`, { method: 'POST', body });
        const b = await timed(mirrorConn, `${gw.url}/m/${kind}?i=${i}`, { method: 'POST', body });
        t.equal(b.status, 200);
        const echoed = JSON.parse(b.body) as { upstream: string; bodyLength: number; url: string };
        t.same([echoed.upstream, echoed.bodyLength, echoed.url], ['primary', body.length, `/m/${kind}?i=${i}`], 'primary answer intact');
        t.equal(a.status, 200);
        plain.push(a.ms);
        mirrored.push(b.ms);
      }
      const diffs = mirrored.map((m, i) => m - plain[i]);
      t.ok(median(diffs) <= TOLERANCE_MS, `median ${median(mirrored).toFixed(1)} ms with mirror vs ${median(plain).toFixed(1)} ms without; median paired difference ${median(diffs).toFixed(1)} ms`);
      t.ok(Math.max(...mirrored) < 1000, `slowest mirrored request ${Math.max(...mirrored).toFixed(1)} ms`);
      const sent = stat(gw, `cluster.${kind}.shadow_sent`);
      t.equal(sent, ROUNDS + 1, 'every request was shadowed');
      if (kind !== 'slow' && kind !== 'hang') {
        await eventually(() => stat(gw, `cluster.${kind}.shadow_failed`) === ROUNDS + 1, 5000, `${kind} failures counted`);
        t.equal(stat(gw, `cluster.${kind}.shadow_succeeded`), 0);
      }
    });
  }

  await t.test('one keep-alive connection: a 3 s shadow does not hold the next request', async (t) => {
    const conn = oneConnection(gw.url);
    t.teardown(() => conn.close());
    const started = performance.now();
    for (let i = 0; i < 5; i++) {
      const r = await timed(conn, `${gw.url}/m/slow?seq=${i}`, { method: 'POST', body: `request ${i}` });
      t.equal(r.status, 200);
      t.ok(r.ms < 500, `request ${i} took ${r.ms.toFixed(1)} ms`);
    }
    t.ok(performance.now() - started < 1500, 'five requests well under one slow shadow');
    await slow.waitFor(ROUNDS + 1 + 5, 5000);
  });
});

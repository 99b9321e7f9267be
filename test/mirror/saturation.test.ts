/**
 * Back-pressure: shadows go through the mirror cluster's circuit breaker. With max_requests 2 and a
 * shadow that never answers (route timeout 0 = none, as Istio sets), two shadows stay in flight and every
 * further one is dropped and counted — never queued — while the primary is unaffected and memory flat.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { Pool, request } from 'undici';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { median, mirrorRoute, startMirrorGateway, stat, timed } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

t.test('a saturated mirror cluster drops shadows, counts them, and holds no queue', async (t) => {
  const primary = await startUpstream('primary');
  const hang = await startUpstream('hang', () => undefined);
  t.teardown(() => Promise.all([primary.close(), hang.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([
      mirrorRoute('/plain', 'primary', [], { timeout: '0s' }),
      mirrorRoute('/', 'primary', [{ cluster: 'hang' }], { timeout: '0s' }),
    ]))],
    [
      staticCluster('primary', [primary.port]),
      staticCluster('hang', [hang.port], { circuit_breakers: { thresholds: [{ max_requests: 2, max_pending_requests: 2, max_connections: 2 }] } }),
    ],
  ));
  t.teardown(() => gw.close());
  const mirrorCluster = gw.handle.gateway.clusters.get('hang')!;
  const body = Buffer.alloc(64 * 1024, 's');
  const pool = new Pool(gw.url, { connections: 8 });
  t.teardown(() => pool.close());

  /** n requests over 8 connections; every 4th goes to the route without a mirror, interleaved so both see the same load. */
  const burst = async (n: number): Promise<{ mirrored: number[]; plain: number[]; bad: number }> => {
    const out = { mirrored: [] as number[], plain: [] as number[], bad: 0 };
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < n) {
        const i = next++;
        const plain = i % 4 === 0;
        const r = await timed(pool, `${gw.url}${plain ? '/plain' : '/m'}`, { method: 'POST', body });
        if (r.status !== 200) out.bad++;
        (plain ? out.plain : out.mirrored).push(r.ms);
      }
    }));
    return out;
  };

  const warm = await burst(200);
  const before = heapMiB();
  const N = 2000;
  const run = await burst(N);
  await new Promise((r) => setTimeout(r, 50));
  const after = heapMiB();
  const shadowed = warm.mirrored.length + run.mirrored.length;

  t.equal(warm.bad + run.bad, 0, 'every primary answer 200');
  t.equal(stat(gw, 'cluster.hang.shadow_sent'), 2, 'only max_requests shadows went out');
  t.equal(stat(gw, 'cluster.hang.shadow_dropped'), shadowed - 2, 'the rest dropped and counted');
  t.equal(stat(gw, 'cluster.hang.upstream_rq_pending_overflow'), shadowed - 2, "and counted in the mirror cluster's overflow stat");
  t.equal(mirrorCluster.activeRequests, 2, 'two in flight');
  t.ok(mirrorCluster.hosts.every((h) => h.pool.stats.queued === 0), 'nothing queued in the mirror pool');
  t.equal(primary.received.length, 200 + N, 'every primary request served');
  t.ok(median(run.mirrored) <= median(run.plain) + 20, `median ${median(run.mirrored).toFixed(1)} ms mirrored vs ${median(run.plain).toFixed(1)} ms plain`);
  // 1,500 × 64 KiB bodies would be ~94 MiB if shadows were queued; the dropped copies are released.
  t.ok(after - before < 16, `heap grew ${(after - before).toFixed(1)} MiB over ${run.mirrored.length} dropped shadows`);

  const res = await request(`${gw.url}/after`, { method: 'GET' });
  t.equal(res.statusCode, 200);
  await res.body.text();
});

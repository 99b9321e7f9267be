/**
 * Resilience, both protocol variants: the management server dies mid-stream and comes back on the same
 * port (traffic never stops; the client reconnects, resumes from what it holds and converges), and 200
 * pushes in a row under steady load fail no request.
 */
import t from 'tap';
import { Agent, request } from 'undici';
import {
  CDS, LDS, MODES, RDS, edsCluster, hit, isNack, pollUntil, pushAndWait, routes, stat, startWorld, toCluster, weighted,
} from './ads-fixtures';
import { staticCluster } from '../helpers/gateway';

interface Load {
  total: number;
  failures: { status?: number; error?: string }[];
  stop(): Promise<void>;
}

/** Steady load: `workers` sequential request loops until stopped (bounded by maxRequests and maxMs). */
function startLoad(url: string, workers = 4, maxRequests = 50_000, maxMs = 30_000): Load {
  const dispatcher = new Agent({ connections: workers });
  const load: Load = { total: 0, failures: [], stop: async () => undefined };
  let running = true;
  const deadline = performance.now() + maxMs;
  const loop = async (): Promise<void> => {
    while (running && load.total < maxRequests && performance.now() < deadline) {
      load.total++;
      try {
        const res = await request(url, { dispatcher });
        await res.body.dump();
        if (res.statusCode !== 200) load.failures.push({ status: res.statusCode });
      } catch (err) {
        load.failures.push({ error: (err as Error).message });
      }
    }
  };
  const loops = Array.from({ length: workers }, loop);
  let stopped: Promise<void> | undefined;
  load.stop = () => {
    running = false;
    stopped ??= Promise.all(loops).then(() => dispatcher.close());
    return stopped;
  };
  return load;
}

const report: string[] = [];

for (const mode of MODES) {
  t.test(`${mode}: server killed mid-stream: traffic continues; restarted: reconnects and converges`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    const admin = w.gw.adminUrl;
    t.equal(await stat(admin, 'control_plane.connected_state'), 1, 'connected');
    const load = startLoad(w.url('/'), 2);
    t.teardown(() => load.stop());
    const streamsBefore = new Set(w.ads.requests.map((q) => q.streamId));

    w.ads.kill();
    await pollUntil(async () => ((await stat(admin, 'control_plane.connected_state')) === 0 ? true : undefined));
    const during = load.total;
    await pollUntil(async () => (load.total >= during + 50 ? true : undefined));
    t.same(await hit(w.url('/')), { status: 200, upstream: 'v1' }, 'the last good config keeps serving while disconnected');

    // The management server changes its mind while we are away, then comes back on the same port.
    w.ads.set(RDS, [routes('main', [toCluster('/', 'v2')])], 'after-restart');
    await w.ads.restart();
    await pollUntil(async () => ((await stat(admin, 'control_plane.connected_state')) === 1 ? true : undefined), 5000, 20);
    await pollUntil(async () => ((await hit(w.url('/'))).upstream === 'v2' ? true : undefined), 5000);
    t.pass('converged on the new state');

    const resumed = w.ads.requests.filter((q) => !streamsBefore.has(q.streamId));
    const firstOf = (type: string) => resumed.find((q) => q.typeUrl === type)!.msg;
    if (mode === 'sotw') {
      t.equal(firstOf(CDS).version_info, 'v1', 'CDS resumes from the last version seen');
      t.equal(firstOf(LDS).version_info, 'v3', 'LDS resumes from the last version seen');
      t.equal(firstOf(CDS).response_nonce ?? '', '', 'no nonce on a new stream');
      t.same(firstOf(RDS).resource_names, ['main'], 'RDS names re-listed');
    } else {
      t.same(Object.keys(firstOf(CDS).initial_resource_versions ?? {}).sort(), ['v1', 'v2'], 'initial_resource_versions for CDS');
      t.same(Object.keys(firstOf(LDS).initial_resource_versions ?? {}), ['ingress'], 'initial_resource_versions for LDS');
      t.same(firstOf(RDS).resource_names_subscribe, ['main'], 'RDS re-subscribed');
      const rdsSent = w.ads.responses.filter((r) => r.typeUrl === CDS && !streamsBefore.has(r.streamId));
      t.same(rdsSent, [], 'unchanged clusters are not sent again');
    }
    t.ok(resumed.every((q) => !isNack(q)), 'nothing NACKed after the reconnect');
    t.ok(((await stat(admin, 'cluster_manager.cds.update_failure')) ?? 0) >= 1, 'cds update_failure counted');
    await load.stop();
    t.same(load.failures, [], `no failed request (${load.total} requests across the outage)`);
    report.push(`${mode}: outage ${load.total} requests, ${load.failures.length} failed`);
  });

  t.test(`${mode}: 200 pushes in a row under steady load fail no request`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    // A static cluster the CDS pushes add and remove, next to the EDS ones that stay.
    const spare = staticCluster('spare', [w.v1.port]);
    const gateway = w.gw.handle.gateway;
    const pools = { v1: gateway.clusters.get('v1'), v2: gateway.clusters.get('v2') };
    const load = startLoad(w.url('/'), 4);
    t.teardown(() => load.stop());
    const PUSHES = 200;
    let nacks = 0;
    const started = performance.now();
    for (let i = 0; i < PUSHES; i++) {
      const { reply } = i % 10 === 9
        ? await pushAndWait(w.ads, CDS, [edsCluster('v1'), edsCluster('v2'), ...(i % 20 === 9 ? [spare] : [])])
        : i % 2 === 0
          ? await pushAndWait(w.ads, RDS, [routes('main', [weighted('/', { v1: 100 - (i % 100), v2: i % 100 })])])
          : await pushAndWait(w.ads, RDS, [routes('main', [toCluster(`/only-${i}`, 'v2'), toCluster('/', i % 4 === 1 ? 'v1' : 'v2')])]);
      if (isNack(reply)) nacks++;
    }
    const pushMs = performance.now() - started;
    await load.stop();
    t.equal(nacks, 0, 'every push ACKed');
    t.ok(load.total > PUSHES, `load ran through the pushes (${load.total} requests)`);
    t.same(load.failures, [], `${load.failures.length} failed requests of ${load.total}`);
    t.ok(pools.v1 && gateway.clusters.get('v1') === pools.v1 && gateway.clusters.get('v2') === pools.v2, 'unchanged clusters kept their connection pools');
    report.push(`${mode}: ${PUSHES} pushes in ${pushMs.toFixed(0)} ms under load, ${load.total} requests, ${load.failures.length} failed`);
  });
}

t.teardown(() => {
  t.comment(report.join('; '));
});

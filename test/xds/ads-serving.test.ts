/**
 * The gateway as an ADS client, both protocol variants: boot from dynamic_resources only, what the
 * client asks for (node, wildcard LDS/CDS, named RDS/EDS), pushed changes live within 100 ms of the ACK,
 * warming of EDS clusters and RDS listeners, SotW/Delta removal, /config_dump of dynamic resources.
 */
import t from 'tap';
import { TestUpstream, closedPort, startUpstream } from '../helpers/upstream';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway';
import { startAdsServer } from '../helpers/ads-test-server';
import { grpcObjectToJson } from '../../src/xds/any-codec';
import {
  CDS, EDS, LDS, MODES, RDS, adsBootstrap, cla, configDump, edsCluster, hit, isNack, pollUntil, pushAndWait, rdsListener, routes, startWorld, toCluster, waitForSubscription, weighted,
} from './ads-fixtures';

/** Push→served latencies over every mode and change kind, reported at the end. */
const latencies: { mode: string; change: string; ms: number }[] = [];

for (const mode of MODES) {
  t.test(`${mode}: boots from dynamic_resources only; asks as Envoy does`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    const r = await hit(w.url('/hello'));
    t.same(r, { status: 200, upstream: 'v1' });

    const first = w.ads.requests[0].msg;
    t.equal(first.type_url, CDS, 'CDS is requested first (make-before-break order)');
    t.match(first.node, { id: `gw-${mode}`, cluster: 'edge', user_agent_name: 'shadowgate' });
    t.match(first.node.user_agent_version, /^\d+\.\d+\.\d+/);
    t.same(grpcObjectToJson('envoy.config.core.v3.Node', first.node).metadata, { team: 'platform' }, 'bootstrap metadata');
    const byType = (type: string) => w.ads.requests.filter((q) => q.typeUrl === type).map((q) => q.msg);
    if (mode === 'sotw') {
      t.same(byType(LDS)[0].resource_names ?? [], [], 'LDS is a wildcard subscription');
      t.same(byType(CDS)[0].resource_names ?? [], [], 'CDS is a wildcard subscription');
      t.ok(byType(RDS).some((m) => JSON.stringify(m.resource_names) === '["main"]'), 'RDS names what the listener references');
      t.ok(byType(EDS).some((m) => JSON.stringify(m.resource_names) === '["v1","v2"]'), 'EDS names the EDS clusters');
    } else {
      t.same(byType(LDS)[0].resource_names_subscribe ?? [], [], 'LDS: legacy wildcard');
      t.ok(byType(RDS).some((m) => JSON.stringify(m.resource_names_subscribe) === '["main"]'));
      t.ok(byType(EDS).some((m) => JSON.stringify(m.resource_names_subscribe) === '["v1","v2"]'));
    }
    t.ok(w.ads.requests.every((q) => q.msg.node?.id === `gw-${mode}`), 'node on every request by default');
    t.ok(w.ads.requests.every((q) => !isNack(q)), 'nothing was NACKed');
  });

  t.test(`${mode}: set_node_on_first_message_only sends the node once per stream; initial_metadata is sent`, async (t) => {
    const w = await startWorld(mode, { nodeOnFirstOnly: true, initialMetadata: [{ key: 'X-Xds-Token', value: 'sesame' }] });
    t.teardown(() => w.close());
    t.equal((await hit(w.url())).status, 200);
    t.ok(w.ads.requests[0].msg.node, 'first request carries the node');
    t.ok(w.ads.requests.slice(1).every((q) => !q.msg.node), 'later requests do not');
    t.equal(w.ads.requests[0].metadata['x-xds-token'], 'sesame', 'grpc_services initial_metadata on the stream');
  });

  t.test(`${mode}: pushed changes are served within 100 ms of the ACK`, async (t) => {
    const shadow = await startUpstream('shadow');
    t.teardown(() => shadow.close());
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    await pushAndWait(w.ads, CDS, [edsCluster('v1'), edsCluster('v2'), edsCluster('shadow')]);
    await waitForSubscription(w.ads, EDS, 'shadow');
    await pushAndWait(w.ads, EDS, [cla('v1', [w.v1.port]), cla('v2', [w.v2.port]), cla('shadow', [shadow.port])]);

    // Open a connection to every upstream first, so the figures below measure config propagation
    // rather than the first TCP connect of a pool.
    await pushAndWait(w.ads, RDS, [routes('main', [toCluster('/warm-v2', 'v2'), toCluster('/warm-shadow', 'shadow'), toCluster('/', 'v1')])]);
    for (const path of ['/warm-v2', '/warm-shadow', '/']) t.equal((await hit(w.url(path))).status, 200, `warm-up ${path}`);
    // Latency = when the first request after the ACK reached the upstream the change sends it to,
    // minus when the server received the ACK (one clock: everything runs in this process).
    const measure = async (change: string, resources: object[], path: string, target: TestUpstream, primary: string): Promise<void> => {
      const { reply } = await pushAndWait(w.ads, RDS, resources);
      t.notOk(isNack(reply), `${change}: ACKed`);
      t.equal((await hit(w.url(path))).upstream, primary, `${change}: the first request after the ACK is served by the new config`);
      const served = await pollUntil(async () => target.received.find((r) => r.url === path && r.receivedAt >= reply.at));
      const ms = served.receivedAt - reply.at;
      latencies.push({ mode, change, ms });
      t.ok(ms < 100, `${change}: served ${ms.toFixed(1)} ms after the ACK`);
    };
    await measure('new route', [routes('main', [toCluster('/v2', 'v2'), toCluster('/', 'v1')])], '/v2/x', w.v2, 'v2');
    await measure('new weights', [routes('main', [weighted('/', { v1: 0, v2: 100 })])], '/w', w.v2, 'v2');
    const mirror = { request_mirror_policies: [{ cluster: 'shadow', runtime_fraction: { default_value: { numerator: 100, denominator: 'HUNDRED' } } }] };
    await measure('mirror policy', [routes('main', [toCluster('/', 'v1', mirror)])], '/m', shadow, 'v1');
    const copy = shadow.received.filter((r) => r.url === '/m');
    t.match(copy[copy.length - 1].headers.host, /^127\.0\.0\.1-shadow:\d+$/, 'the shadow copy carries the -shadow host');
  });

  t.test(`${mode}: an EDS cluster warms until its endpoints arrive (503 meanwhile)`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    await pushAndWait(w.ads, CDS, [edsCluster('v1'), edsCluster('v2'), edsCluster('v3')]);
    // The client now asks for v3's endpoints; the server has none yet.
    await waitForSubscription(w.ads, EDS, 'v3');
    await pushAndWait(w.ads, RDS, [routes('main', [toCluster('/v3', 'v3'), toCluster('/', 'v1')])]);
    t.equal((await hit(w.url('/v3'))).status, 503, 'a route to a warming cluster: 503');
    t.equal((await hit(w.url('/'))).upstream, 'v1', 'the rest keeps serving');
    const clusters = (await configDump(w.gw.adminUrl)).find((c) => c['@type'].endsWith('ClustersConfigDump'))!;
    t.same(clusters.dynamic_warming_clusters.map((c: any) => c.cluster.name), ['v3']);
    t.notOk(clusters.dynamic_active_clusters.some((c: any) => c.cluster.name === 'v3'));

    const { reply } = await pushAndWait(w.ads, EDS, [cla('v1', [w.v1.port]), cla('v2', [w.v2.port]), cla('v3', [w.v2.port])]);
    t.notOk(isNack(reply));
    t.same(await hit(w.url('/v3')), { status: 200, upstream: 'v2' }, 'served once the CLA arrived');
  });

  t.test(`${mode}: a listener warms on RDS, then serves without routes after initial_fetch_timeout`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    const gateway = w.gw.handle.gateway;
    const started = performance.now();
    await pushAndWait(w.ads, LDS, [rdsListener('ingress', 'main'), rdsListener('side', 'side_routes', { initialFetchTimeout: '0.5s' })]);
    t.equal(gateway.listenerPort('side'), undefined, 'not bound while warming');
    const port = await pollUntil(async () => gateway.listenerPort('side'), 3000, 10);
    t.ok(performance.now() - started >= 450, 'bound only after initial_fetch_timeout');
    t.equal((await hit(`http://127.0.0.1:${port}/`)).status, 404, 'no routes yet: 404');
    await pushAndWait(w.ads, RDS, [routes('main', [toCluster('/', 'v1')]), routes('side_routes', [toCluster('/', 'v2')])]);
    t.same(await hit(`http://127.0.0.1:${port}/`), { status: 200, upstream: 'v2' });
  });

  t.test(`${mode}: resources absent from the state of the world are removed`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    const gateway = w.gw.handle.gateway;
    await pushAndWait(w.ads, LDS, [rdsListener('ingress', 'main'), rdsListener('side', 'main')]);
    const side = gateway.listenerPort('side');
    t.ok(side, 'second listener is up');
    t.equal((await hit(`http://127.0.0.1:${side}/`)).upstream, 'v1');
    const { sent, reply } = await pushAndWait(w.ads, LDS, [rdsListener('ingress', 'main')]);
    if (mode === 'delta') t.same(sent.removed, ['side'], 'Delta: removed_resources');
    t.notOk(isNack(reply));
    t.equal(gateway.listenerPort('side'), undefined, 'listener removed');
    await pushAndWait(w.ads, RDS, [routes('main', [toCluster('/v2', 'v2'), toCluster('/', 'v1')])]);
    t.equal((await hit(w.url('/v2'))).upstream, 'v2');
    await pushAndWait(w.ads, CDS, [edsCluster('v1')]);
    t.equal((await hit(w.url('/v2'))).status, 503, 'cluster removed: 503 cluster not found');
    t.equal((await hit(w.url('/'))).upstream, 'v1');
  });

  t.test(`${mode}: /config_dump shows dynamic resources with version and last update`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    await pushAndWait(w.ads, RDS, [routes('main', [toCluster('/', 'v2')])], 'routes-7');
    const dump = await configDump(w.gw.adminUrl);
    const find = (kind: string) => dump.find((c) => c['@type'].endsWith(kind))!;
    const clusters = find('ClustersConfigDump');
    t.same(clusters.dynamic_active_clusters.map((c: any) => c.cluster.name).sort(), ['v1', 'v2']);
    t.same(clusters.static_clusters.map((c: any) => c.cluster.name), ['xds_cluster']);
    for (const c of clusters.dynamic_active_clusters) {
      t.match(c, { version_info: String, last_updated: /^\d{4}-\d\d-\d\dT/, cluster: { '@type': CDS } });
    }
    const listeners = find('ListenersConfigDump');
    t.match(listeners.dynamic_listeners, [{ name: 'ingress', active_state: { version_info: String, last_updated: String, listener: { name: 'ingress' } } }]);
    const routeDump = find('RoutesConfigDump');
    t.match(routeDump.dynamic_route_configs, [{ version_info: mode === 'sotw' ? 'routes-7' : String, last_updated: String, route_config: { name: 'main' } }]);
    if (mode === 'sotw') t.equal(find('RoutesConfigDump').dynamic_route_configs[0].version_info, 'routes-7');
  });

  t.test(`${mode}: /ready is 503 INITIALIZING until the initial fetch completes`, async (t) => {
    const v1 = await startUpstream('v1');
    t.teardown(() => v1.close());
    const ads = await startAdsServer();
    t.teardown(() => ads.close());
    ads.set(CDS, [edsCluster('v1')]);
    ads.set(EDS, [cla('v1', [v1.port])]);
    const adminPort = await closedPort();
    const bootstrap = adsBootstrap(ads.port, mode) as any;
    bootstrap.admin.address.socket_address.port_value = adminPort;
    const starting = startGateway(bootstrap);
    t.teardown(async () => (await starting).close());
    const ready = async (): Promise<string | undefined> => {
      try {
        const res = await request(`http://127.0.0.1:${adminPort}/ready`);
        return `${res.statusCode} ${(await res.body.text()).trim()}`;
      } catch {
        return undefined; // admin not listening yet
      }
    };
    t.equal(await pollUntil(ready), '503 INITIALIZING', 'no LDS answer yet');
    ads.set(LDS, [rdsListener('ingress', 'main')]);
    await waitForSubscription(ads, RDS, 'main');
    t.equal(await ready(), '503 INITIALIZING', 'listener still warming on RDS');
    ads.set(RDS, [routes('main', [toCluster('/', 'v1')])]);
    const gw = await starting;
    t.equal(await ready(), '200 LIVE');
    t.equal((await hit(`${gw.url}/`)).upstream, 'v1');
  });

  t.test(`${mode}: static listeners with RDS over ADS sit next to dynamic resources`, async (t) => {
    const v1 = await startUpstream('v1');
    t.teardown(() => v1.close());
    const ads = await startAdsServer();
    t.teardown(() => ads.close());
    ads.set(CDS, [edsCluster('v1')]);
    ads.set(EDS, [cla('v1', [v1.port])]);
    ads.set(RDS, [routes('main', [toCluster('/', 'v1')])]);
    const gw = await startGateway(adsBootstrap(ads.port, mode, { lds: false, listeners: [rdsListener('static_in', 'main')] }));
    t.teardown(() => gw.close());
    t.same(await hit(`${gw.url}/`), { status: 200, upstream: 'v1' });
    t.notOk(ads.requests.some((q) => q.typeUrl === LDS), 'no LDS without lds_config');
  });
}

t.teardown(() => {
  const worst = latencies.reduce((m, l) => Math.max(m, l.ms), 0);
  t.comment(`push→served after ACK: ${latencies.map((l) => `${l.mode}/${l.change} ${l.ms.toFixed(1)} ms`).join(', ')}; worst ${worst.toFixed(1)} ms`);
});

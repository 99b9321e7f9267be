/**
 * The ADS server against raw grpc-js clients that behave like Envoy, like gRPC proxyless clients, or
 * deliberately oddly: State of the World first, then Delta.
 */
import t from 'tap';
import { CDS, EDS, LDS, RDS, client, delta, names, node, pushDoc, sampleConfig, sotw, startCp, until } from './helpers';

t.test('a push is served over SotW ADS in CDS, EDS, LDS, RDS order and ACKs are recorded', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  const pushed = await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  t.equal(pushed.version, '1');
  t.equal(pushed.changed, true);

  // An Envoy-like client: wildcard LDS/CDS, node only on the first request.
  const ads = sotw(t, cp.address);
  ads.send({ node: node('gw-1', 'edge'), type_url: CDS });
  const cds = await ads.next(CDS);
  t.equal(cds.version_info, '1');
  t.same(names(cds), ['v1', 'v2']);
  ads.send({ type_url: CDS, version_info: cds.version_info, response_nonce: cds.nonce });
  ads.send({ type_url: EDS, resource_names: ['v1', 'v2'] });
  const eds = await ads.next(EDS);
  t.same(names(eds), ['v1', 'v2']);
  ads.send({ type_url: EDS, resource_names: ['v1', 'v2'], version_info: eds.version_info, response_nonce: eds.nonce });
  ads.send({ type_url: LDS });
  const lds = await ads.next(LDS);
  t.same(names(lds), ['ingress']);
  ads.send({ type_url: LDS, version_info: lds.version_info, response_nonce: lds.nonce });
  ads.send({ type_url: RDS, resource_names: ['main'] });
  const rds = await ads.next(RDS);
  t.same(names(rds), ['main']);
  ads.send({ type_url: RDS, resource_names: ['main'], version_info: rds.version_info, response_nonce: rds.nonce });

  const status = await until(async () => {
    const s = await c.call<{ gateways: { node_id: string; group: string; state: string; synced_version: string; types: { type: string; acked_version: string }[] }[] }>('Status', {});
    return s.gateways?.[0]?.state === 'SYNCED' ? s : undefined;
  }, 5_000, 'SYNCED');
  t.equal(status.gateways[0].node_id, 'gw-1');
  t.equal(status.gateways[0].group, 'edge');
  t.equal(status.gateways[0].synced_version, '1');
  t.same(status.gateways[0].types.map((x) => [x.type, x.acked_version]), [['CDS', '1'], ['EDS', '1'], ['LDS', '1'], ['RDS', '1']]);

  // A second push that changes the route and adds a cluster: the stream gets CDS, EDS, RDS in that
  // order (LDS did not change, so it is not resent).
  const second = await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2', 'v3'], route: 'v3' }));
  t.equal(second.version, '2');
  const order: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await ads.next();
    order.push(r.type_url);
    t.equal(r.version_info, '2');
  }
  t.same(order, [CDS, EDS, RDS]);
  t.ok(await ads.silentFor(100), 'LDS unchanged: not resent');
});

t.test('a gRPC-proxyless-style client: LDS and CDS by name, node only on the first request', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  const ads = sotw(t, cp.address);
  ads.send({ node: node('proxyless-1'), type_url: LDS, resource_names: ['ingress'] });
  const lds = await ads.next(LDS);
  t.same(names(lds), ['ingress']);
  ads.send({ type_url: LDS, resource_names: ['ingress'], version_info: lds.version_info, response_nonce: lds.nonce });
  ads.send({ type_url: CDS, resource_names: ['v2'] });
  const cds = await ads.next(CDS);
  t.same(names(cds), ['v2'], 'named CDS returns only the named cluster');
  ads.send({ type_url: CDS, resource_names: ['v2'], version_info: cds.version_info, response_nonce: cds.nonce });
  const status = await until(async () => {
    const s = await c.call<{ gateways: { node_id: string; state: string }[] }>('Status', {});
    return s.gateways?.[0]?.state === 'SYNCED' ? s : undefined;
  }, 5_000, 'SYNCED');
  t.equal(status.gateways[0].node_id, 'proxyless-1', 'identity comes from the first request only');
  // Adding a name re-answers with both.
  ads.send({ type_url: CDS, resource_names: ['v1', 'v2'], version_info: cds.version_info, response_nonce: cds.nonce });
  t.same(names(await ads.next(CDS)).sort(), ['v1', 'v2']);
});

t.test('legacy wildcard: an empty list is wildcard only until a name was sent', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  const ads = sotw(t, cp.address);
  ads.send({ node: node('gw'), type_url: CDS, resource_names: [] });
  const first = await ads.next(CDS);
  t.same(names(first), ['v1', 'v2'], 'never named: empty = wildcard');
  ads.send({ type_url: CDS, resource_names: ['v1'], version_info: first.version_info, response_nonce: first.nonce });
  const named = await ads.next(CDS);
  t.same(names(named), ['v1']);
  ads.send({ type_url: CDS, resource_names: [], version_info: named.version_info, response_nonce: named.nonce });
  const none = await ads.next(CDS);
  t.same(names(none), [], 'after a name, empty = unsubscribe from everything');
  ads.send({ type_url: CDS, resource_names: ['*'], version_info: none.version_info, response_nonce: none.nonce });
  t.same(names(await ads.next(CDS)), ['v1', 'v2'], '"*" is an explicit wildcard');
});

t.test('NACK is told apart by error_detail, whatever version_info says; stale nonces are ignored', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig());
  const ads = sotw(t, cp.address);
  ads.send({ node: node('gw-nack', 'edge'), type_url: LDS });
  const v1 = await ads.next(LDS);
  ads.send({ type_url: LDS, version_info: v1.version_info, response_nonce: v1.nonce });
  await pushDoc(c, sampleConfig({ port: 1 }));
  const v2 = await ads.next(LDS);
  t.equal(v2.version_info, '2');
  // Some clients NACK with the *new* version_info: error_detail decides, not the version.
  ads.send({ type_url: LDS, version_info: v2.version_info, response_nonce: v2.nonce, error_detail: { code: 3, message: 'listener "ingress": cannot bind 127.0.0.1:1: permission denied' } });
  const nacked = await until(async () => {
    const s = await c.call<{ gateways: { state: string; types: { type: string; acked_version: string; served_version: string; last_nack?: { version: string; message: string } }[] }[] }>('Status', {});
    return s.gateways?.[0]?.state === 'NACKED' ? s.gateways[0] : undefined;
  }, 5_000, 'NACKED');
  const lds = nacked.types.find((x) => x.type === 'LDS');
  t.equal(lds?.acked_version, '1', 'the NACK did not count as an ACK of version 2');
  t.equal(lds?.last_nack?.version, '2');
  t.match(lds?.last_nack?.message, /cannot bind/);
  t.ok(await ads.silentFor(100), 'the rejected version is not resent');

  // A request with a stale nonce (say, a late ACK of an older response) is ignored.
  ads.send({ type_url: LDS, version_info: v1.version_info, response_nonce: v1.nonce, resource_names: ['other'] });
  t.ok(await ads.silentFor(100), 'stale nonce: no response, subscription unchanged');

  // The next version is sent and its ACK clears the NACKED state (the last NACK stays on record).
  await pushDoc(c, sampleConfig());
  const v3 = await ads.next(LDS);
  t.equal(v3.version_info, '3');
  t.same(names(v3), ['ingress'], 'still the wildcard subscription: the stale request changed nothing');
  ads.send({ type_url: LDS, version_info: v3.version_info, response_nonce: v3.nonce });
  const synced = await until(async () => {
    const s = await c.call<{ gateways: { state: string; types: { type: string; last_nack?: object }[] }[] }>('Status', {});
    return s.gateways?.[0]?.state === 'SYNCED' ? s.gateways[0] : undefined;
  }, 5_000, 'SYNCED');
  t.ok(synced.types.find((x) => x.type === 'LDS')?.last_nack, 'last NACK kept for operators');
});

t.test('a push to a group reaches only gateways whose node.cluster is that group', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1'] }));
  const edge = sotw(t, cp.address);
  const canary = sotw(t, cp.address);
  edge.send({ node: node('edge-1', 'edge'), type_url: CDS });
  canary.send({ node: node('canary-1', 'canary'), type_url: CDS });
  const e1 = await edge.next(CDS);
  const c1 = await canary.next(CDS);
  t.equal(e1.version_info, '1');
  t.equal(c1.version_info, '1');
  edge.send({ type_url: CDS, version_info: '1', response_nonce: e1.nonce });
  canary.send({ type_url: CDS, version_info: '1', response_nonce: c1.nonce });

  const res = await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }), { group: 'canary' });
  t.equal(res.version, '2');
  const c2 = await canary.next(CDS);
  t.equal(c2.version_info, '2');
  t.same(names(c2), ['v1', 'v2']);
  t.ok(await edge.silentFor(150), 'the edge group did not change');

  // A full push to all gateways replaces every group's configuration, the canary override included.
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v3'] }));
  t.same(names(await edge.next(CDS)), ['v1', 'v3']);
  t.same(names(await canary.next(CDS)), ['v1', 'v3']);
});

t.test('an empty control plane answers nothing (it never wipes a reconnecting gateway)', async (t) => {
  const cp = await startCp(t);
  const ads = sotw(t, cp.address);
  ads.send({ node: node('early'), type_url: LDS });
  t.ok(await ads.silentFor(150), 'no version yet: no response');
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig());
  t.equal((await ads.next(LDS)).version_info, '1', 'the first push is sent to waiting subscribers');
});

// ---------------------------------------------------------------- Delta

const deltaNames = (r: { resources?: { name: string }[] }): string[] => (r.resources ?? []).map((x) => x.name);

t.test('Delta: legacy wildcard, per-resource versions, only changed resources, removed_resources', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  const ads = delta(t, cp.address);
  ads.send({ node: node('gw-d', 'edge'), type_url: CDS });
  const first = await ads.next(CDS);
  t.same(deltaNames(first), ['v1', 'v2']);
  t.equal(first.system_version_info, '1');
  t.ok(first.resources.every((r) => /^[\w-]{22}$/.test(r.version)), 'each resource has a content-hash version');
  ads.send({ type_url: CDS, response_nonce: first.nonce });

  // v1 unchanged, v2 deleted, v3 added: only v3 is sent, v2 is in removed_resources.
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v3'] }));
  const second = await ads.next(CDS);
  t.same(deltaNames(second), ['v3']);
  t.same(second.removed_resources, ['v2']);
  ads.send({ type_url: CDS, response_nonce: second.nonce });
  await until(async () => {
    const s = await c.call<{ gateways: { protocol: string; types: { type: string; acked_version: string }[] }[] }>('Status', {});
    return s.gateways?.[0]?.types.find((x) => x.type === 'CDS')?.acked_version === '2';
  }, 5_000, 'CDS ACKed at 2');
});

t.test('Delta: named subscriptions, does-not-exist via removed_resources, NACK by error_detail', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  const ads = delta(t, cp.address);
  ads.send({ node: node('gw-named'), type_url: EDS, resource_names_subscribe: ['v1', 'nope'] });
  const eds = await ads.next(EDS);
  t.same(deltaNames(eds), ['v1']);
  t.same(eds.removed_resources, ['nope'], 'a named resource that does not exist is reported removed');
  ads.send({ type_url: EDS, response_nonce: eds.nonce, error_detail: { code: 3, message: 'bad endpoints' } });
  const nacked = await until(async () => {
    const s = await c.call<{ gateways: { state: string; types: { type: string; last_nack?: { message: string; version: string } }[] }[] }>('Status', {});
    return s.gateways?.[0]?.state === 'NACKED' ? s.gateways[0] : undefined;
  }, 5_000, 'NACKED');
  t.equal(nacked.types[0].last_nack?.message, 'bad endpoints');

  // Subscribing to more names: only the new one is sent (the server resends explicitly subscribed names).
  ads.send({ type_url: EDS, resource_names_subscribe: ['v2'] });
  const more = await ads.next(EDS);
  t.same(deltaNames(more), ['v2']);
  // Unsubscribing needs no answer.
  ads.send({ type_url: EDS, response_nonce: more.nonce, resource_names_unsubscribe: ['v1'] });
  t.ok(await ads.silentFor(100));
});

t.test('Delta reconnect: initial_resource_versions skip what the client already has', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  const a = delta(t, cp.address);
  a.send({ node: node('gw-r'), type_url: CDS, resource_names_subscribe: ['*'] });
  const got = await a.next(CDS);
  a.send({ type_url: CDS, response_nonce: got.nonce });
  const versions = Object.fromEntries(got.resources.map((r) => [r.name, r.version]));

  // New stream, same holdings: nothing to send.
  const b = delta(t, cp.address);
  b.send({ node: node('gw-r2'), type_url: CDS, resource_names_subscribe: ['*'], initial_resource_versions: versions });
  t.ok(await b.silentFor(150), 'nothing changed: no response');
  // Holding a stale v2 and a deleted cluster: v2 is resent, the deleted one removed.
  const c2 = delta(t, cp.address);
  c2.send({ node: node('gw-r3'), type_url: CDS, resource_names_subscribe: ['*'], initial_resource_versions: { v1: versions.v1, v2: 'stale', gone: 'x' } });
  const r = await c2.next(CDS);
  t.same(deltaNames(r), ['v2']);
  t.same(r.removed_resources, ['gone']);
  const status = await c.call<{ gateways: { node_id: string; state: string }[] }>('Status', {});
  t.equal(status.gateways.find((g) => g.node_id === 'gw-r2')?.state, 'SYNCED', 'a client that already holds everything is in sync');
});

t.test('Delta: subscription changes count even with a stale nonce; "*" unsubscribe is answered', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  const ads = delta(t, cp.address);
  ads.send({ node: node('gw-s'), type_url: LDS, resource_names_subscribe: ['*'] });
  const l1 = await ads.next(LDS);
  t.same(deltaNames(l1), ['ingress']);
  ads.send({ type_url: LDS, response_nonce: 'stale-nonce', resource_names_subscribe: ['ingress'] });
  const l2 = await ads.next(LDS);
  t.same(deltaNames(l2), ['ingress'], 'explicitly subscribed names are resent');
  // Unsubscribing "ingress" while "*" still covers it: the server must answer with it.
  ads.send({ type_url: LDS, response_nonce: l2.nonce, resource_names_unsubscribe: ['ingress'] });
  t.same(deltaNames(await ads.next(LDS)), ['ingress']);
});

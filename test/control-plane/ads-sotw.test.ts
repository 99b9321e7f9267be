import t from 'tap';
import { CDS, EDS, LDS, RDS, client, names, node, pushDoc, sampleConfig, sotw, startCp, until } from './helpers';

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

import t from 'tap';
import { CDS, EDS, LDS, client, delta, node, pushDoc, sampleConfig, startCp, until } from './helpers';

const names = (r: { resources?: { name: string }[] }): string[] => (r.resources ?? []).map((x) => x.name);

t.test('Delta: legacy wildcard, per-resource versions, only changed resources, removed_resources', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'] }));
  const ads = delta(t, cp.address);
  ads.send({ node: node('gw-d', 'edge'), type_url: CDS });
  const first = await ads.next(CDS);
  t.same(names(first), ['v1', 'v2']);
  t.equal(first.system_version_info, '1');
  t.ok(first.resources.every((r) => /^[\w-]{22}$/.test(r.version)), 'each resource has a content-hash version');
  ads.send({ type_url: CDS, response_nonce: first.nonce });

  // v1 unchanged, v2 deleted, v3 added: only v3 is sent, v2 is in removed_resources.
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v3'] }));
  const second = await ads.next(CDS);
  t.same(names(second), ['v3']);
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
  t.same(names(eds), ['v1']);
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
  t.same(names(more), ['v2']);
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
  t.same(names(r), ['v2']);
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
  t.same(names(l1), ['ingress']);
  ads.send({ type_url: LDS, response_nonce: 'stale-nonce', resource_names_subscribe: ['ingress'] });
  const l2 = await ads.next(LDS);
  t.same(names(l2), ['ingress'], 'explicitly subscribed names are resent');
  // Unsubscribing "ingress" while "*" still covers it: the server must answer with it.
  ads.send({ type_url: LDS, response_nonce: l2.nonce, resource_names_unsubscribe: ['ingress'] });
  t.same(names(await ads.next(LDS)), ['ingress']);
});

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

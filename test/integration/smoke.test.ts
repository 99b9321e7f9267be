import t from 'tap';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster, startGateway } from '../helpers/gateway';

t.test('a request is proxied to the cluster and the admin server answers', async (t) => {
  const up = await startUpstream('v1');
  t.teardown(() => up.close());
  const gw = await startGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([{ match: { prefix: '/' }, route: { cluster: 'v1' } }]))],
    [staticCluster('v1', [up.port])],
  ));
  t.teardown(() => gw.close());
  const res = await request(`${gw.url}/hello?x=1`, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['x-upstream'], 'v1');
  t.equal(res.headers.server, 'envoy');
  t.match(res.headers['x-envoy-upstream-service-time'], /^\d+$/);
  await res.body.text();
  t.equal(up.received[0].url, '/hello?x=1');
  t.equal(up.received[0].body.toString(), 'payload');
  const ready = await request(`${gw.adminUrl}/ready`);
  t.equal(ready.statusCode, 200);
  t.equal(await ready.body.text(), 'LIVE\n');
  const stats = await (await request(`${gw.adminUrl}/stats`)).body.text();
  t.match(stats, /cluster\.v1\.upstream_rq_total: 1/);
  t.match(stats, /http\.ingress\.downstream_rq_total: 1/);
});

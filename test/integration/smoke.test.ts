import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { request } from 'undici';
import { sendMany } from '../helpers/http';
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

t.test('examples/bootstrap.yaml serves its 90/10 split', async (t) => {
  const v1 = await startUpstream('demo-v1');
  const v2 = await startUpstream('demo-v2');
  t.teardown(() => Promise.all([v1.close(), v2.close()]));
  const text = readFileSync(path.join(__dirname, '..', '..', 'examples', 'bootstrap.yaml'), 'utf8')
    .replace('port_value: 9901', 'port_value: 0')
    .replace('port_value: 10000', 'port_value: 0')
    .replace('port_value: 8081', `port_value: ${v1.port}`)
    .replace('port_value: 8082', `port_value: ${v2.port}`);
  const gw = await startGateway(parse(text) as object);
  t.teardown(() => gw.close());
  const N = 400;
  const responses = await sendMany(gw.url, N, '/hello', {}, 16);
  t.ok(responses.every((r) => r.status === 200), 'all 200');
  const toV2 = responses.filter((r) => r.headers['x-upstream'] === 'demo-v2').length;
  // 10 % of 400 = 40 ± 6; 15 and 70 are more than 4 standard deviations away.
  t.ok(toV2 > 15 && toV2 < 70, `${toV2} of ${N} primaries went to demo-v2`);
});

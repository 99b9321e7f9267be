/**
 * How a shadow's end is counted (its answer is dropped as it arrives, no response stream): the route
 * timeout aborts a shadow that has not answered, or whose body stalls, counts it failed and
 * upstream_rq_timeout, and gives its circuit-breaker slot back; an informational 1xx before the answer
 * is not the answer.
 */
import t from 'tap';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { send } from '../helpers/http';
import { eventually, mirrorRoute, startMirrorGateway, stat } from './helpers';

t.test('shadow outcomes: route timeout before and during the answer, 1xx then the answer', async (t) => {
  const primary = await startUpstream('primary');
  const hang = await startUpstream('hang', () => undefined);
  const stall = await startUpstream('stall', (_req, res) => {
    res.writeHead(200, { 'content-length': '10' });
    res.write('half'); // and never the rest
  });
  const informational = await startUpstream('informational', (_req, res) => {
    res.writeProcessing();
    setTimeout(() => res.end('ok'), 20);
  });
  t.teardown(() => Promise.all([primary.close(), hang.close(), stall.close(), informational.close()]));
  // One request at a time per shadow cluster: a slot not given back would drop the next shadow.
  const oneAtATime = { circuit_breakers: { thresholds: [{ max_requests: 1, max_pending_requests: 1 }] } };
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([
      mirrorRoute('/hang', 'primary', [{ cluster: 'hang' }], { timeout: '0.3s' }),
      mirrorRoute('/stall', 'primary', [{ cluster: 'stall' }], { timeout: '0.3s' }),
      mirrorRoute('/informational', 'primary', [{ cluster: 'informational' }]),
    ]))],
    [
      staticCluster('primary', [primary.port]),
      staticCluster('hang', [hang.port], oneAtATime),
      staticCluster('stall', [stall.port], oneAtATime),
      staticCluster('informational', [informational.port], oneAtATime),
    ],
  ));
  t.teardown(() => gw.close());

  for (const kind of ['hang', 'stall']) {
    await t.test(`shadow that ${kind === 'hang' ? 'never answers' : 'stalls mid-body'}`, async (t) => {
      for (let i = 1; i <= 2; i++) {
        // (That the primary never waits for its shadow is never-hurts.test.ts's subject.)
        t.equal((await send(gw.url, `/${kind}`)).status, 200, 'the primary answered');
        await eventually(() => stat(gw, `cluster.${kind}.shadow_failed`) === i, 5000, `shadow ${i} failed`);
        t.equal(stat(gw, `cluster.${kind}.shadow_sent`), i, `shadow ${i} was sent: the slot of the one before was given back`);
      }
      t.equal(stat(gw, `cluster.${kind}.shadow_dropped`), 0);
      t.equal(stat(gw, `cluster.${kind}.shadow_succeeded`), 0);
      t.equal(stat(gw, `cluster.${kind}.upstream_rq_timeout`), 2, 'both counted as timeouts');
    });
  }

  await t.test('a 1xx before the answer', async (t) => {
    for (let i = 1; i <= 2; i++) {
      t.equal((await send(gw.url, '/informational')).status, 200);
      await eventually(() => stat(gw, 'cluster.informational.shadow_succeeded') === i, 5000, `shadow ${i} succeeded`);
    }
    t.equal(stat(gw, 'cluster.informational.shadow_failed'), 0);
    t.equal(stat(gw, 'cluster.informational.upstream_rq_200'), 2, 'counted by its final status');
  });
});

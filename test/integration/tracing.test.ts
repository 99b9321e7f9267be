/**
 * Issue 6 acceptance: one trace per request holding the ingress (SERVER), the primary (CLIENT) and the
 * shadow (CLIENT, shadow=true) spans, exported over OTLP (HTTP and gRPC) to a real receiver, with the
 * context propagated to both upstreams in each header format a client may send.
 */
import t, { type Test } from 'tap';
import { request } from 'undici';
import { startUpstream, closedPort } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster, startGateway } from '../helpers/gateway';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

async function setup(t: Test, protocol: 'grpc' | 'http/protobuf') {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.close());
  const primary = await startUpstream('primary');
  const shadow = await startUpstream('shadow');
  const failing = await startUpstream('failing', (_req, res) => { res.writeHead(500); res.end('boom'); });
  const dead = await closedPort();
  t.teardown(() => Promise.all([primary.close(), shadow.close(), failing.close()]));
  const env = {
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    ...(protocol === 'grpc' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcUrl } : { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.httpUrl }),
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_SERVICE_NAME: 'shadowgate-test',
  };
  const gw = await startGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([
      { name: 'with-shadow', match: { prefix: '/mirrored' }, route: { cluster: 'primary', request_mirror_policies: [{ cluster: 'shadow' }] } },
      { name: 'failing', match: { prefix: '/fail' }, route: { cluster: 'failing', request_mirror_policies: [{ cluster: 'dead' }] } },
      { name: 'dead-shadow', match: { prefix: '/dead-shadow' }, decorator: { operation: 'checkout' }, route: { cluster: 'primary', request_mirror_policies: [{ cluster: 'dead' }] } },
    ]))],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port]), staticCluster('failing', [failing.port]), staticCluster('dead', [dead])],
  ), { env });
  t.teardown(() => gw.close());
  return { receiver, primary, shadow, gw };
}

function tree(spans: ReceivedSpan[], traceId: string) {
  const mine = spans.filter((s) => s.traceId === traceId);
  const server = mine.find((s) => s.kind === 'SERVER');
  const clients = mine.filter((s) => s.kind === 'CLIENT');
  return { server, primary: clients.find((s) => s.attributes.shadow !== true), mirror: clients.find((s) => s.attributes.shadow === true) };
}

async function spansOf(receiver: OtlpReceiver, traceId: string, n: number): Promise<ReceivedSpan[]> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const found = receiver.spans.filter((s) => s.traceId === traceId);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return receiver.spans.filter((s) => s.traceId === traceId);
}

for (const protocol of ['http/protobuf', 'grpc'] as const) {
  t.test(`span tree over OTLP ${protocol}: ingress, primary and shadow`, async (t) => {
    const { receiver, primary, shadow, gw } = await setup(t, protocol);
    const res = await request(`${gw.url}/mirrored/item?token=secret`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    t.equal(res.statusCode, 200);
    await res.body.text();
    await shadow.waitFor(1);
    const spans = await spansOf(receiver, TRACE_ID, 3);
    const { server, primary: p, mirror: m } = tree(spans, TRACE_ID);
    t.ok(server && p && m, `three spans in one trace (got ${spans.map((s) => `${s.kind}:${s.name}`).join(', ')})`);
    if (!server || !p || !m) return;
    t.equal(server.parentSpanId, PARENT_ID, 'the ingress span continues the incoming W3C context');
    t.equal(p.parentSpanId, server.spanId, 'primary is a child of the ingress span');
    t.equal(m.parentSpanId, server.spanId, 'shadow is a child of the ingress span');
    t.equal(m.name, 'mirror');
    t.equal(m.attributes.shadow, true);
    t.equal(m.attributes.upstream_cluster, 'shadow');
    t.equal(p.attributes.upstream_cluster, 'primary');
    t.equal(server.attributes.route_name, 'with-shadow');
    t.equal(server.attributes['http.response.status_code'], 200);
    t.match(server.attributes['guid:x-request-id'], /^[0-9a-f-]{36}$/);
    t.equal(server.attributes['url.path'], '/mirrored/item', 'no query string in spans');
    t.equal(server.resource['service.name'], 'shadowgate-test');
    t.equal(server.transport, protocol === 'grpc' ? 'grpc' : 'http');
    t.equal(primary.received[0].headers.traceparent, `00-${TRACE_ID}-${p.spanId}-01`, "primary got its CLIENT span's context");
    t.equal(shadow.received[0].headers.traceparent, `00-${TRACE_ID}-${m.spanId}-01`, "shadow got the mirror span's context");
    t.equal(server.status.code, 'UNSET');
  });
}

t.test('5xx marks ingress and primary as errors; a failing shadow never marks the ingress span', async (t) => {
  const { receiver, gw } = await setup(t, 'http/protobuf');
  const traceFail = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const traceDeadShadow = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
  const a = await request(`${gw.url}/fail`, { headers: { traceparent: `00-${traceFail}-${PARENT_ID}-01` } });
  t.equal(a.statusCode, 500);
  await a.body.text();
  const b = await request(`${gw.url}/dead-shadow`, { headers: { traceparent: `00-${traceDeadShadow}-${PARENT_ID}-01` } });
  t.equal(b.statusCode, 200);
  await b.body.text();
  const failTree = tree(await spansOf(receiver, traceFail, 3), traceFail);
  t.equal(failTree.server?.status.code, 'ERROR', 'ingress span ERROR on 5xx');
  t.equal(failTree.primary?.status.code, 'ERROR', 'primary span ERROR on 5xx');
  const deadTree = tree(await spansOf(receiver, traceDeadShadow, 3), traceDeadShadow);
  t.equal(deadTree.mirror?.status.code, 'ERROR', 'the failed shadow is an error on its own span');
  t.not(deadTree.server?.status.code, 'ERROR', 'the ingress span is not');
  t.equal(deadTree.server?.name, 'checkout', 'named after the route decorator');
});

/** Each format as a caller sends it, and how its rewritten copy names this trace and a new parent span. */
const FORMATS: [string, Record<string, string>, (h: Record<string, unknown>) => [string, string]][] = [
  ['B3 multi', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': PARENT_ID, 'x-b3-sampled': '1' }, (h) => [String(h['x-b3-traceid']), String(h['x-b3-spanid'])]],
  ['B3 single', { b3: `${TRACE_ID}-${PARENT_ID}-1` }, (h) => String(h.b3).split('-') as [string, string]],
  ['Jaeger', { 'uber-trace-id': `${TRACE_ID}:${PARENT_ID}:0:1` }, (h) => String(h['uber-trace-id']).split(':') as [string, string]],
  ['W3C', { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=1' }, (h) => String(h.traceparent).split('-').slice(1, 3) as [string, string]],
];

t.test('incoming context in each format is continued and injected into both upstreams, W3C and in kind', async (t) => {
  const { receiver, primary, shadow, gw } = await setup(t, 'http/protobuf');
  for (const [i, [format, headers, ids]] of FORMATS.entries()) {
    const res = await request(`${gw.url}/mirrored/${i}`, { headers });
    await res.body.text();
    await shadow.waitFor(i + 1);
    for (const [leg, got] of [['primary', primary.received[i].headers], ['shadow', shadow.received[i].headers]] as const) {
      t.match(got.traceparent, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`), `${format}: ${leg} got W3C traceparent in the same trace`);
      // The caller's own format is rewritten, not passed through: same trace, this leg's span as parent.
      const [traceId, parentId] = ids(got);
      t.equal(traceId, TRACE_ID, `${format}: ${leg} got the caller's format with the trace id`);
      t.equal(parentId, String(got.traceparent).split('-')[2], `${format}: ${leg}'s ${format} names the same parent span as its traceparent`);
    }
    t.not(shadow.received[i].headers.traceparent, primary.received[i].headers.traceparent, `${format}: each upstream has its own parent span`);
    if (format === 'W3C') t.equal(primary.received[i].headers.tracestate, 'vendor=1', 'tracestate carried');
    if (format !== 'B3 multi') t.equal(primary.received[i].headers['x-b3-traceid'], undefined, `${format}: no B3 added by default`);
  }
  const spans = await spansOf(receiver, TRACE_ID, FORMATS.length * 3);
  t.equal(spans.filter((s) => s.kind === 'SERVER' && s.parentSpanId === PARENT_ID).length, FORMATS.length, 'every ingress span is a child of the caller span');
});

t.test('a new trace reaches both upstreams with exactly the injected headers (reserved slots are never sent)', async (t) => {
  const { primary, shadow, gw } = await setup(t, 'http/protobuf');
  const res = await request(`${gw.url}/mirrored/fresh`);
  await res.body.text();
  await shadow.waitFor(1);
  const injected = ['traceparent'];
  const notSent = ['tracestate', 'baggage', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags', 'x-b3-parentspanid', 'uber-trace-id'];
  for (const [name, up] of [['primary', primary.received[0]], ['shadow', shadow.received[0]]] as const) {
    for (const h of injected) t.type(up.headers[h], 'string', `${name} got ${h}`);
    for (const h of notSent) t.equal(up.headers[h], undefined, `${name} got no ${h}`);
    t.notOk(Object.values(up.headers).some((v) => v === 'undefined' || v === ''), `${name}: no empty or "undefined" header values`);
  }
});

import t from 'tap';
import type { OtlpProtocol } from '../../src/telemetry';
import type { ReceivedSpan } from '../helpers/otlp-receiver';
import { SERVER_INFO, receiverFor, tracerFor, until } from './tracer-fixture';

const byName = (spans: ReceivedSpan[], name: string): ReceivedSpan => {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span named ${name} in [${spans.map((x) => x.name).join(', ')}]`);
  return s;
};

for (const protocol of ['http/protobuf', 'grpc'] as OtlpProtocol[]) {
  t.test(`server, primary and shadow spans exported over ${protocol}`, async (t) => {
    const receiver = await receiverFor(t);
    const tracer = tracerFor(t, receiver, protocol, { OTEL_SERVICE_NAME: 'edge-test' });

    const server = tracer.startServerSpan({ 'user-agent': 'curl/8.5.0' }, SERVER_INFO);
    server.setRoute('items');
    const primary = tracer.startClientSpan(server, {
      name: 'primary', cluster: 'items-v1', method: 'GET', url: 'http://10.0.0.7:9000/api/items?token=secret', shadow: false,
    });
    const shadow = tracer.startClientSpan(server, {
      name: 'mirror', cluster: 'items-v2', method: 'GET', url: 'http://10.0.0.8:9001/api/items', shadow: true,
      host: 'shop.example.com-shadow:8080',
    });
    primary.end(200);
    shadow.end(undefined, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    server.end(200);

    const spans = await receiver.waitForSpans(3);
    t.equal(spans.length, 3);
    t.ok(spans.every((s) => s.transport === (protocol === 'grpc' ? 'grpc' : 'http')), 'arrived over the chosen transport');
    const s = byName(spans, 'GET items');
    const p = byName(spans, 'router items-v1 egress');
    const m = byName(spans, 'mirror');

    t.equal(s.kind, 'SERVER');
    t.equal(s.parentSpanId, '', 'server span is a root');
    t.equal(s.traceId, server.traceId);
    t.equal(s.spanId, server.spanId);
    t.match(s.attributes, {
      'http.request.method': 'GET',
      'url.path': '/api/items',
      'url.scheme': 'http',
      'server.address': 'shop.example.com',
      'server.port': 8080,
      'network.peer.address': '10.1.2.3',
      'user_agent.original': 'curl/8.5.0',
      'guid:x-request-id': SERVER_INFO.requestId,
      route_name: 'items',
      upstream_cluster: 'items-v1',
      'http.response.status_code': 200,
    });
    t.equal(s.status.code, 'UNSET', 'a shadow failure never marks the server span');
    t.notOk('shadow' in s.attributes);
    t.equal(s.resource['service.name'], 'edge-test');
    t.equal(s.scope, 'shadowgate');

    for (const c of [p, m]) {
      t.equal(c.kind, 'CLIENT');
      t.equal(c.traceId, s.traceId, `${c.name} is in the server's trace`);
      t.equal(c.parentSpanId, s.spanId, `${c.name} is a child of the server span`);
    }
    t.match(p.attributes, {
      'http.request.method': 'GET',
      'url.full': 'http://10.0.0.7:9000/api/items',
      'server.address': '10.0.0.7',
      'server.port': 9000,
      upstream_cluster: 'items-v1',
      'http.response.status_code': 200,
    });
    t.notOk('shadow' in p.attributes, 'primary carries no shadow flag');
    t.equal(p.status.code, 'UNSET');
    t.match(m.attributes, { shadow: true, upstream_cluster: 'items-v2', 'error.type': 'ECONNREFUSED' });
    t.same(m.attributes['http.request.header.host'], ['shop.example.com-shadow:8080']);
    t.equal(m.status.code, 'ERROR');
    t.equal(m.status.message, 'connect ECONNREFUSED');
    await until(() => tracer.stats.spansSent === 3, 3000, 'spansSent == 3');
    t.equal(tracer.stats.spansDropped, 0);
  });
}

t.test('5xx marks server and client spans as errors; decorator names the server span', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver);
  const server = tracer.startServerSpan({}, SERVER_INFO);
  server.setRoute('items', 'items.list');
  const primary = tracer.startClientSpan(server, {
    name: 'primary', cluster: 'items-v1', method: 'GET', url: 'http://10.0.0.7:9000/', shadow: false,
  });
  primary.end(503);
  primary.end(200); // idempotent: the second end changes nothing
  server.end(503);
  const spans = await receiver.waitForSpans(2);
  const s = byName(spans, 'items.list');
  const p = byName(spans, 'router items-v1 egress');
  t.equal(s.status.code, 'ERROR');
  t.equal(s.attributes['error.type'], '503');
  t.equal(p.status.code, 'ERROR');
  t.equal(p.attributes['http.response.status_code'], 503);
});

t.test('4xx is not an error; unrouted request is named by method', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver);
  const server = tracer.startServerSpan({}, { ...SERVER_INFO, method: 'POST' });
  server.end(404);
  const [s] = await receiver.waitForSpans(1);
  t.equal(s!.name, 'POST');
  t.equal(s!.status.code, 'UNSET');
  t.equal(s!.attributes['http.response.status_code'], 404);
});

t.test('custom tags from Envoy config land on the server span', async (t) => {
  const receiver = await receiverFor(t);
  const { GatewayTracer, resolveTracingSettings } = await import('../../src/telemetry');
  const settings = resolveTracingSettings(
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.httpUrl, OTEL_BSP_SCHEDULE_DELAY: '20', POD_ZONE: 'eu-1' },
    {
      custom_tags: [
        { tag: 'team', literal: { value: 'edge' } },
        { tag: 'zone', environment: { name: 'POD_ZONE' } },
        { tag: 'tenant', request_header: { name: 'X-Tenant' } },
        { tag: 'plan', request_header: { name: 'x-plan', default_value: 'free' } },
      ],
    },
  );
  const tracer = new GatewayTracer(settings);
  t.teardown(() => tracer.shutdown(1000));
  tracer.startServerSpan({ 'x-tenant': 'acme' }, SERVER_INFO).end(200);
  const [s] = await receiver.waitForSpans(1);
  t.match(s!.attributes, { team: 'edge', zone: 'eu-1', tenant: 'acme', plan: 'free' });
});

/**
 * Extraction of W3C, B3 (multi and single header) and Jaeger contexts from downstream headers, and
 * injection of the client span's context into upstream headers.
 */
import t from 'tap';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayTracer, resolveTracingSettings } from '../../src/telemetry';
import { SERVER_INFO, receiverFor, tracerFor } from './tracer-fixture';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

const cases: Array<{ name: string; headers: IncomingHttpHeaders; traceId: string; parent: string }> = [
  {
    name: 'W3C traceparent',
    headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'congo=t61rcWkgMzE' },
    traceId: TRACE,
    parent: PARENT,
  },
  {
    name: 'B3 multi-header',
    headers: { 'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '1' },
    traceId: '80f198ee56343ba864fe8b2a57d3eff7',
    parent: 'e457b5a2e4d86bd1',
  },
  {
    name: 'B3 multi-header with a 64-bit trace id',
    headers: { 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '1' },
    traceId: '000000000000000064fe8b2a57d3eff7',
    parent: 'e457b5a2e4d86bd1',
  },
  {
    name: 'B3 single header',
    headers: { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90' },
    traceId: '80f198ee56343ba864fe8b2a57d3eff7',
    parent: 'e457b5a2e4d86bd1',
  },
  {
    name: 'Jaeger uber-trace-id',
    headers: { 'uber-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1' },
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    parent: '00f067aa0ba902b7',
  },
  {
    name: 'W3C wins over Jaeger when both are sent',
    headers: { traceparent: `00-${TRACE}-${PARENT}-01`, 'uber-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1' },
    traceId: TRACE,
    parent: PARENT,
  },
  {
    name: 'an invalid traceparent falls back to B3',
    headers: { traceparent: '00-zzzz-yyyy-01', b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' },
    traceId: '80f198ee56343ba864fe8b2a57d3eff7',
    parent: 'e457b5a2e4d86bd1',
  },
];

t.test('the server span continues the incoming trace', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver);
  for (const c of cases) {
    const server = tracer.startServerSpan(c.headers, SERVER_INFO);
    t.equal(server.traceId, c.traceId, `${c.name}: trace id continues`);
    t.ok(server.recording, `${c.name}: sampled flag honoured`);
    server.end(200);
  }
  const spans = await receiver.waitForSpans(cases.length);
  for (const c of cases) {
    const s = spans.find((x) => x.traceId === c.traceId && x.parentSpanId === c.parent);
    t.ok(s, `${c.name}: exported with the incoming span as parent`);
  }
});

t.test('no trace headers: a new root trace', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver);
  const a = tracer.startServerSpan({}, SERVER_INFO);
  const b = tracer.startServerSpan({}, SERVER_INFO);
  t.match(a.traceId, /^[0-9a-f]{32}$/);
  t.not(a.traceId, b.traceId);
  a.end();
  b.end();
});

t.test('inject writes the client span context: W3C + baggage + B3 multi by default', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver);
  const incoming = { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'congo=t61rcWkgMzE', baggage: 'tenant=acme' };
  const server = tracer.startServerSpan(incoming, SERVER_INFO);
  const client = tracer.startClientSpan(server, {
    name: 'primary', cluster: 'c1', method: 'GET', url: 'http://10.0.0.1:80/', shadow: false,
  });
  // The request path copies downstream headers, so the client's own trace headers are in here.
  const out: Record<string, string> = { ...incoming, host: 'shop.example.com', 'x-b3-parentspanid': '1111111111111111' };
  client.inject(out);
  t.equal(out.traceparent, `00-${TRACE}-${client.spanId}-01`, 'traceparent carries the child span id');
  t.not(client.spanId, server.spanId);
  t.equal(out.tracestate, 'congo=t61rcWkgMzE', 'tracestate travels on');
  t.equal(out.baggage, 'tenant=acme', 'baggage travels on');
  t.equal(out['x-b3-traceid'], TRACE);
  t.equal(out['x-b3-spanid'], client.spanId);
  t.equal(out['x-b3-sampled'], '1');
  t.equal(out['x-b3-parentspanid'], undefined, "the client's stale B3 parent id is not sent (undici skips undefined headers)");
  t.notOk('b3' in out, 'single-header B3 is not added by default');
  t.notOk('uber-trace-id' in out, 'Jaeger is not added by default');
  t.equal(out.host, 'shop.example.com', 'other headers untouched');
  client.end(200);
  server.end(200);
});

t.test('stale trace headers of other formats are rewritten, not left pointing at the client', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver);
  const incoming = {
    'uber-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1',
    b3: '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
  };
  const server = tracer.startServerSpan(incoming, SERVER_INFO);
  const client = tracer.startClientSpan(server, {
    name: 'mirror', cluster: 'c2', method: 'GET', url: 'http://10.0.0.2:80/', shadow: true,
  });
  const out: Record<string, string> = { ...incoming };
  client.inject(out);
  t.equal(out['uber-trace-id'], `4bf92f3577b34da6a3ce929d0e0e4736:${client.spanId}:0:01`);
  t.equal(out.b3, `4bf92f3577b34da6a3ce929d0e0e4736-${client.spanId}-1`);
  t.equal(out.traceparent, `00-4bf92f3577b34da6a3ce929d0e0e4736-${client.spanId}-01`);
  client.end(200);
  server.end(200);
});

t.test('OTEL_PROPAGATORS narrows both directions', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver, 'http/protobuf', { OTEL_PROPAGATORS: 'b3' });
  const server = tracer.startServerSpan({ traceparent: `00-${TRACE}-${PARENT}-01` }, SERVER_INFO);
  t.not(server.traceId, TRACE, 'traceparent is not read when only b3 is configured');
  const client = tracer.startClientSpan(server, {
    name: 'primary', cluster: 'c1', method: 'GET', url: 'http://10.0.0.1:80/', shadow: false,
  });
  const out: Record<string, string> = {};
  client.inject(out);
  t.same(Object.keys(out), ['b3']);
  t.equal(out.b3, `${server.traceId}-${client.spanId}-1`);
  client.end();
  server.end();
});

t.test('disabled tracing: shared no-op handles, headers pass through untouched', async (t) => {
  for (const env of [{}, { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }]) {
    const tracer = new GatewayTracer(resolveTracingSettings(env));
    t.equal(tracer.enabled, false);
    const incoming = { traceparent: `00-${TRACE}-${PARENT}-01` };
    const s1 = tracer.startServerSpan(incoming, SERVER_INFO);
    const s2 = tracer.startServerSpan({}, SERVER_INFO);
    t.equal(s1, s2, 'the same shared object every time');
    t.equal(s1.recording, false);
    t.equal(s1.traceId, '');
    const c = tracer.startClientSpan(s1, {
      name: 'mirror', cluster: 'c', method: 'GET', url: 'http://x/', shadow: true, sampled: true,
    });
    const out: Record<string, string> = { ...incoming };
    c.inject(out);
    t.same(out, incoming);
    c.end(500);
    s1.end(500);
    await tracer.shutdown();
  }
  t.equal(GatewayTracer.disabled().enabled, false);
});

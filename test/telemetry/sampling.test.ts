/**
 * Sampling: the mirror policy's trace_sampled on shadow spans (Envoy: unset ⇒ inherit the parent's
 * decision, false ⇒ not sampled, true ⇒ sampled even under an unsampled parent; envoy#37766), and the
 * server-span decision from OTEL_TRACES_SAMPLER / Envoy random, client and overall sampling.
 */
import t from 'tap';
import type { Test } from 'tap';
import { GatewayTracer, resolveTracingSettings } from '../../src/telemetry';
import type { ServerSpanHandle } from '../../src/telemetry';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';
import { SERVER_INFO, receiverFor, tracerFor } from './tracer-fixture';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SAMPLED_PARENT = { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` };
const UNSAMPLED_PARENT = { traceparent: `00-${TRACE}-00f067aa0ba902b7-00` };

function shadow(tracer: GatewayTracer, parent: ServerSpanHandle, sampled: boolean | undefined) {
  return tracer.startClientSpan(parent, {
    name: 'mirror', cluster: 'shadow', method: 'GET', url: 'http://10.0.0.9:80/', shadow: true, sampled,
  });
}

/** Everything exported before a final sampled sentinel span (the batch queue is FIFO). */
async function exportedBefore(t: Test, tracer: GatewayTracer, receiver: OtlpReceiver): Promise<ReceivedSpan[]> {
  const sentinel = tracer.startServerSpan({}, { ...SERVER_INFO, method: 'SENTINEL' });
  sentinel.end();
  await tracer.forceFlush();
  const deadline = Date.now() + 3000;
  while (!receiver.spans.some((s) => s.name === 'SENTINEL')) {
    if (Date.now() > deadline) t.fail('sentinel span never arrived');
    await new Promise((r) => setTimeout(r, 10));
  }
  return receiver.spans.filter((s) => s.name !== 'SENTINEL');
}

t.test('shadow trace_sampled under a sampled parent', async (t) => {
  const receiver = await receiverFor(t);
  // B3 multi too: its sampled header must follow trace_sampled like W3C's flag.
  const tracer = tracerFor(t, receiver, 'http/protobuf', { OTEL_PROPAGATORS: 'tracecontext,baggage,b3multi' });
  const server = tracer.startServerSpan(SAMPLED_PARENT, SERVER_INFO);
  t.ok(server.recording);
  const results: Record<string, string> = {};
  for (const sampled of [undefined, false, true]) {
    const c = shadow(tracer, server, sampled);
    const headers: Record<string, string> = {};
    c.inject(headers);
    t.equal(headers.traceparent, `00-${TRACE}-${c.spanId}-${sampled === false ? '00' : '01'}`, `sampled=${sampled}: injected flag`);
    t.equal(headers['x-b3-sampled'], sampled === false ? '0' : '1');
    results[String(sampled)] = c.spanId;
    c.end(200);
  }
  server.end(200);
  const spans = await exportedBefore(t, tracer, receiver);
  const exported = new Set(spans.map((s) => s.spanId));
  t.ok(exported.has(results.undefined!), 'unset: inherits sampled');
  t.notOk(exported.has(results.false!), 'false: not exported');
  t.ok(exported.has(results.true!), 'true: exported');
  t.ok(exported.has(server.spanId));
});

t.test('shadow trace_sampled under an unsampled parent', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver);
  const server = tracer.startServerSpan(UNSAMPLED_PARENT, SERVER_INFO);
  t.notOk(server.recording, 'the incoming not-sampled flag is honoured');
  t.equal(server.traceId, TRACE);
  const primary = tracer.startClientSpan(server, {
    name: 'primary', cluster: 'main', method: 'GET', url: 'http://10.0.0.1:80/', shadow: false,
  });
  const inherit = shadow(tracer, server, undefined);
  const off = shadow(tracer, server, false);
  const forced = shadow(tracer, server, true);
  const headers: Record<string, string> = {};
  inherit.inject(headers);
  t.equal(headers.traceparent, `00-${TRACE}-${inherit.spanId}-00`, 'an unsampled child still propagates the trace');
  forced.inject(headers);
  t.equal(headers.traceparent, `00-${TRACE}-${forced.spanId}-01`, 'a forced shadow says sampled upstream');
  for (const h of [primary, inherit, off, forced]) h.end(200);
  server.end(200);
  const spans = await exportedBefore(t, tracer, receiver);
  t.equal(spans.length, 1, 'only the forced shadow is exported');
  t.match(spans[0], { spanId: forced.spanId, traceId: TRACE, parentSpanId: server.spanId, name: 'mirror' });
  t.equal(spans[0]!.attributes.shadow, true);
});

t.test('always_off: one shared unsampled handle; only a forced shadow gets a span, in a new trace', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver, 'http/protobuf', { OTEL_TRACES_SAMPLER: 'always_off' });
  const a = tracer.startServerSpan(SAMPLED_PARENT, SERVER_INFO);
  const b = tracer.startServerSpan({}, SERVER_INFO);
  t.equal(a, b, 'no per-request allocation');
  t.notOk(a.recording);
  const inherit = shadow(tracer, a, undefined);
  const headers: Record<string, string> = { ...SAMPLED_PARENT };
  inherit.inject(headers);
  t.same(headers, SAMPLED_PARENT, 'untraced: headers pass through');
  const forced = shadow(tracer, a, true);
  t.ok(forced.recording);
  // The client's own trace headers were passed through untouched; the forced shadow's copy must not
  // keep any of them next to its new trace.
  const copy: Record<string, string | undefined> = { ...SAMPLED_PARENT, 'x-b3-traceid': 'a'.repeat(32), 'x-b3-parentspanid': 'b'.repeat(16), 'uber-trace-id': `${'c'.repeat(32)}:${'d'.repeat(16)}:0:1` };
  forced.inject(copy);
  t.equal(copy.traceparent, `00-${forced.traceId}-${forced.spanId}-01`, 'the new trace is injected');
  t.equal(copy['x-b3-traceid'], forced.traceId, 'B3 rewritten');
  t.equal(copy['x-b3-parentspanid'], undefined, 'the stale B3 parent is cleared');
  t.equal(copy['uber-trace-id'], `${forced.traceId}:${forced.spanId}:0:01`, 'the Jaeger header the client sent is rewritten');
  forced.end(200);
  inherit.end(200);
  a.end(200);
  const [s] = await receiver.waitForSpans(1);
  t.match(s, { name: 'mirror', parentSpanId: '', spanId: forced.spanId });
});

t.test('server-span decision table', async (t) => {
  const receiver = await receiverFor(t);
  const endpoint = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.httpUrl };
  const rows: Array<{
    name: string;
    env?: Record<string, string>;
    envoy?: Parameters<typeof resolveTracingSettings>[1];
    headers: Record<string, string>;
    recording: boolean;
  }> = [
    { name: 'default parentbased_always_on, no parent', headers: {}, recording: true },
    { name: 'default, unsampled parent', headers: UNSAMPLED_PARENT, recording: false },
    { name: 'always_on ignores an unsampled parent', env: { OTEL_TRACES_SAMPLER: 'always_on' }, headers: UNSAMPLED_PARENT, recording: true },
    { name: 'parentbased_always_off, sampled parent', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, headers: SAMPLED_PARENT, recording: true },
    { name: 'parentbased_always_off, no parent', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, headers: {}, recording: false },
    { name: 'Envoy random 0%, no parent', envoy: { random_sampling: { value: 0 } }, headers: {}, recording: false },
    { name: 'Envoy random 0%, sampled parent (Envoy follows the parent)', envoy: { random_sampling: { value: 0 } }, headers: SAMPLED_PARENT, recording: true },
    { name: 'Envoy random 0%, x-client-trace-id (client_sampling default 100%)', envoy: { random_sampling: { value: 0 } }, headers: { 'x-client-trace-id': 'abc' }, recording: true },
    { name: 'Envoy client_sampling 0%', envoy: { random_sampling: { value: 0 }, client_sampling: { value: 0 } }, headers: { 'x-client-trace-id': 'abc' }, recording: false },
    { name: 'Envoy overall 0% caps random', envoy: { random_sampling: { value: 100 }, overall_sampling: { value: 0 } }, headers: {}, recording: false },
    { name: 'Envoy overall 0% caps client', envoy: { overall_sampling: { value: 0 } }, headers: { 'x-client-trace-id': 'abc' }, recording: false },
  ];
  for (const row of rows) {
    const tracer = new GatewayTracer(resolveTracingSettings({ ...endpoint, ...row.env }, row.envoy));
    const span = tracer.startServerSpan(row.headers, SERVER_INFO);
    t.equal(span.recording, row.recording, row.name);
    span.end();
    await tracer.shutdown(1000);
  }
});

t.test('traceidratio samples about the configured share', async (t) => {
  const receiver = await receiverFor(t);
  const tracer = tracerFor(t, receiver, 'http/protobuf', { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
  let recorded = 0;
  for (let i = 0; i < 2000; i++) {
    const s = tracer.startServerSpan({}, SERVER_INFO);
    if (s.recording) recorded++;
    s.end();
  }
  // binomial(2000, 0.25): mean 500, sd ≈ 19; ±100 is > 5 sd
  t.ok(recorded > 400 && recorded < 600, `recorded ${recorded} of 2000`);
});

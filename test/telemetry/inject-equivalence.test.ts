/**
 * The injection fast path (`injectSpan`, strings written from the span's ids) must write exactly what
 * OTel's propagators write through a Context: every format, sampled or not, with a tracestate, and
 * with the downstream extras (baggage, B3 debug flag) that make it fall back to the propagators.
 */
import t from 'tap';
import { ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { GatewayPropagator, type HeaderCarrier } from '../../src/telemetry/propagation';
import type { PropagatorName } from '../../src/telemetry/tracing-config';
import { GatewayTracer } from '../../src/telemetry';
import { tracerFor } from './tracer-fixture';

const ALL: PropagatorName[] = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const contexts: Array<[string, SpanContext]> = [
  ['sampled', { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED }],
  ['unsampled', { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.NONE }],
  ['with tracestate', { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED, traceState: new TraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7') }],
];

const downstreams: Array<[string, Record<string, string>]> = [
  ['no trace headers', {}],
  ['baggage', { traceparent: `00-${TRACE}-b7ad6b7169203331-01`, baggage: 'user=alice,tier=gold' }],
  ['B3 debug flag', { 'x-b3-traceid': TRACE, 'x-b3-spanid': 'b7ad6b7169203331', 'x-b3-flags': '1' }],
  ['stale formats copied from downstream', { b3: `${TRACE}-b7ad6b7169203331-1`, 'uber-trace-id': `${TRACE}:b7ad6b7169203331:0:1` }],
  ['trace headers without a valid parent', { traceparent: '00-garbage-01', tracestate: 'a=b', 'x-b3-parentspanid': 'b7ad6b7169203331', b3: 'nonsense' }],
];

const configs: PropagatorName[][] = [ALL, ['tracecontext', 'baggage', 'b3multi'], ['tracecontext'], ['b3'], ['b3multi'], ['jaeger']];

for (const inject of configs) {
  t.test(`inject [${inject.join(',')}]`, async (t) => {
    const propagator = new GatewayPropagator({ extract: ALL, inject });
    for (const [dsName, dsHeaders] of downstreams) {
      const downstream = propagator.extract(dsHeaders);
      for (const [scName, sc] of contexts) {
        const fast: HeaderCarrier = { host: 'a', ...dsHeaders };
        const viaContext: HeaderCarrier = { host: 'a', ...dsHeaders };
        propagator.injectSpan(sc, downstream, fast);
        propagator.inject(trace.setSpanContext(downstream, sc), viaContext);
        t.same(fast, viaContext, `${dsName}, ${scName}`);
        t.ok(Object.keys(fast).length > 1, 'something was written');
      }
    }
  });
}

t.test('a new trace (root context) gets the same headers both ways', async (t) => {
  const propagator = new GatewayPropagator({ extract: ALL, inject: ALL });
  const fast: HeaderCarrier = {};
  const viaContext: HeaderCarrier = {};
  propagator.injectSpan(contexts[0][1], ROOT_CONTEXT, fast);
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, contexts[0][1]), viaContext);
  t.same(fast, viaContext);
  t.equal(fast.traceparent, `00-${TRACE}-${SPAN}-01`);
  t.equal(fast['uber-trace-id'], `${TRACE}:${SPAN}:0:01`);
  t.equal(fast.b3, `${TRACE}-${SPAN}-1`);
});

t.test('upstream header maps reserve the trace fields only when the tracer injects', async (t) => {
  const dead = { httpUrl: 'http://127.0.0.1:9', grpcUrl: 'http://127.0.0.1:9' };
  t.same(GatewayTracer.disabled().newUpstreamHeaders(), {}, 'tracing off: a plain object');
  t.same(tracerFor(t, dead, 'http/protobuf', { OTEL_TRACES_SAMPLER: 'always_off' }).newUpstreamHeaders(), {}, 'never sampling: nothing injected');
  t.same(tracerFor(t, dead, 'http/protobuf', { OTEL_PROPAGATORS: 'none' }).newUpstreamHeaders(), {}, 'no propagators: nothing injected');
  const slots = tracerFor(t, dead).newUpstreamHeaders();
  t.same(Object.keys(slots).sort(), ['traceparent', 'tracestate'], 'the default format\'s fields');
  t.ok(Object.values(slots).every((v) => v === undefined), 'all empty until injected');
});

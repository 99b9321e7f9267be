/** Ids are valid W3C ids: lower-case hex of the right length, never all zero, and not repeated. */
import t from 'tap';
import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { FastIdGenerator } from '../../src/telemetry/id-generator';

t.test('trace and span ids are valid, lower-case hex and distinct', async (t) => {
  const ids = new FastIdGenerator();
  const traces = new Set<string>();
  const spans = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const traceId = ids.generateTraceId();
    const spanId = ids.generateSpanId();
    if (!/^[0-9a-f]{32}$/.test(traceId) || !isValidTraceId(traceId)) t.fail(`bad trace id ${traceId}`);
    if (!/^[0-9a-f]{16}$/.test(spanId) || !isValidSpanId(spanId)) t.fail(`bad span id ${spanId}`);
    traces.add(traceId);
    spans.add(spanId);
  }
  t.equal(traces.size, 10_000);
  t.equal(spans.size, 10_000);
  // every hex digit shows up in every position over 10,000 ids (the table covers all bytes)
  const seen = Array.from({ length: 32 }, () => new Set<string>());
  for (const id of traces) for (let i = 0; i < 32; i++) seen[i].add(id[i]);
  t.ok(seen.every((s) => s.size === 16), 'all 16 digits in every position');
});

t.test('an all-zero draw still gives a valid id', async (t) => {
  const random = Math.random;
  Math.random = () => 0;
  t.teardown(() => {
    Math.random = random;
  });
  const ids = new FastIdGenerator();
  t.equal(ids.generateTraceId(), '00000000000000000000000000000001');
  t.equal(ids.generateSpanId(), '0000000000000001');
});

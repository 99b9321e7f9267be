/**
 * While the export queue is full (collector down), spans are not recorded — they would be dropped at
 * their end anyway — but the trace context that reaches upstreams is unchanged: same trace id, a fresh
 * span id, the sampled flag the sampler chose. Shed spans count as dropped.
 */
import t from 'tap';
import { SERVER_INFO, receiverFor, tracerFor, until } from './tracer-fixture';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

t.test('a full queue sheds spans but keeps propagating the sampled context', async (t) => {
  const receiver = await receiverFor(t);
  receiver.failNextExports(1);
  const tracer = tracerFor(t, receiver, 'http/protobuf', { OTEL_BSP_MAX_QUEUE_SIZE: '2', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1' });
  // A first export is refused; the next batch is then held for the back-off (1 s), and the spans
  // after it fill the queue (size 2).
  tracer.startServerSpan({}, SERVER_INFO).end(200);
  await until(() => tracer.stats.exportsFailed === 1, 3000, 'the failed export');
  for (let i = 0; i < 3; i++) tracer.startServerSpan({}, SERVER_INFO).end(200);
  const droppedBefore = tracer.stats.spansDropped;

  const server = tracer.startServerSpan({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, SERVER_INFO);
  t.equal(server.recording, false, 'not recorded while the queue is full');
  t.equal(server.traceId, TRACE_ID, 'the incoming trace continues');
  const client = tracer.startClientSpan(server, { name: 'primary', cluster: 'c', method: 'GET', url: '/x', shadow: false });
  const headers: Record<string, unknown> = {};
  client.inject(headers);
  t.match(headers.traceparent, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`), 'upstream still sees a sampled context');
  t.not(String(headers.traceparent).split('-')[2], '00f067aa0ba902b7', 'with a span id of its own');
  const unsampled = tracer.startServerSpan({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00` }, SERVER_INFO);
  const h2: Record<string, unknown> = {};
  tracer.startClientSpan(unsampled, { name: 'primary', cluster: 'c', method: 'GET', url: '/x', shadow: false }).inject(h2);
  t.match(h2.traceparent, /-00$/, 'an unsampled parent stays unsampled');
  client.end(200);
  server.end(200);
  t.equal(tracer.stats.spansDropped - droppedBefore, 2, 'the two sampled shed spans are counted as dropped');
});

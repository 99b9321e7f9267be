/**
 * A dead or hanging collector costs dropped spans only: no throw, requests keep their speed, drops are
 * counted (queue full + failed exports), one warning per outage, shutdown is bounded.
 */
import t, { type Test } from 'tap';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { ExportResultCode } from '@opentelemetry/core';
import { GatewayTracer, type OtlpProtocol, resolveTracingSettings } from '../../src/telemetry';
import { StatsStore } from '../../src/telemetry/stats-store';
import { type LogLine, SERVER_INFO, receiverFor, recordingLogger, tracerFor, until } from './tracer-fixture';

const REQUESTS = 1700; // × 3 spans each

/** A port nothing listens on: bind, note the port, close. */
async function deadPort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Simulates one request: server span, primary and shadow children, all ended. */
function oneRequest(tracer: GatewayTracer): void {
  const server = tracer.startServerSpan({ 'user-agent': 'load' }, SERVER_INFO);
  server.setRoute('items');
  const p = tracer.startClientSpan(server, { name: 'primary', cluster: 'a', method: 'GET', url: 'http://10.0.0.1:80/', shadow: false });
  const m = tracer.startClientSpan(server, { name: 'mirror', cluster: 'b', method: 'GET', url: 'http://10.0.0.2:80/', shadow: true });
  p.inject({});
  p.end(200);
  m.end(200);
  server.end(200);
}

const FAST_FAIL_ENV = {
  OTEL_BSP_MAX_QUEUE_SIZE: '64',
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '32',
  OTEL_EXPORTER_OTLP_TIMEOUT: '300', // shorter than the first retry backoff: fail, do not retry
};

for (const protocol of ['http/protobuf', 'grpc'] as OtlpProtocol[]) {
  t.test(`collector refusing connections (${protocol})`, async (t) => {
    const port = await deadPort();
    const url = `http://127.0.0.1:${port}`;
    const lines: LogLine[] = [];
    const store = new StatsStore();
    const tracer = tracerFor(t, { httpUrl: `${url}/v1/traces`, grpcUrl: url }, protocol, FAST_FAIL_ENV, recordingLogger(lines), store);

    const started = process.hrtime.bigint();
    for (let i = 0; i < REQUESTS; i++) oneRequest(tracer);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const total = 3 * REQUESTS;
    t.ok(elapsedMs < 2000, `${total} spans started and ended in ${elapsedMs.toFixed(0)} ms`);

    await until(() => tracer.stats.spansDropped === total, 10000, 'every span accounted as dropped');
    t.equal(tracer.stats.spansSent, 0);
    t.ok(tracer.stats.spansDroppedQueueFull > 0, `queue-full drops counted (${tracer.stats.spansDroppedQueueFull})`);
    t.ok(tracer.stats.spansDroppedExportFailed > 0, `failed exports counted (${tracer.stats.spansDroppedExportFailed})`);
    t.equal(tracer.stats.spansDroppedQueueFull + tracer.stats.spansDroppedExportFailed, tracer.stats.spansDropped);
    t.ok(tracer.stats.exportsFailed > 0);
    const warns = lines.filter((l) => l.level === 'warn');
    t.equal(warns.length, 1, 'one warning per outage, not per batch');
    const text = store.text();
    t.match(text, 'tracing.opentelemetry.spans_sent: 0\n', 'counters live in the gateway stats store');
    t.match(text, `tracing.opentelemetry.spans_dropped: ${total}\n`);
    t.match(store.prometheus(), `envoy_tracing_opentelemetry_spans_dropped ${total}`);

    const t0 = Date.now();
    await tracer.shutdown(1000);
    t.ok(Date.now() - t0 < 1500, 'shutdown is bounded');
  });
}

t.test('collector accepting connections but never answering', async (t) => {
  const sockets = new Set<net.Socket>();
  const hole = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  hole.listen(0, '127.0.0.1');
  await once(hole, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    hole.close();
  });
  const url = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
  const tracer = tracerFor(t, { httpUrl: `${url}/v1/traces`, grpcUrl: url }, 'http/protobuf', {
    ...FAST_FAIL_ENV,
    OTEL_EXPORTER_OTLP_TIMEOUT: '200',
  });
  // Let a first export hang, then keep the request path busy while it does.
  oneRequest(tracer);
  await new Promise((r) => setTimeout(r, 50));
  const started = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) oneRequest(tracer);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  t.ok(elapsedMs < 1000, `3000 spans while the export hangs: ${elapsedMs.toFixed(0)} ms`);
  t.ok(tracer.stats.spansDroppedQueueFull > 0, 'the bounded queue drops instead of growing');
  await until(() => tracer.stats.spansDropped === 3003, 5000, 'all spans accounted');
  t.equal(tracer.stats.spansSent, 0);
});

for (const protocol of ['http/protobuf', 'grpc'] as OtlpProtocol[]) {
  t.test(`a refused export is counted and logged once; recovery is logged (${protocol})`, async (t) => {
    const receiver = await receiverFor(t);
    const lines: LogLine[] = [];
    const tracer = tracerFor(t, receiver, protocol, {}, recordingLogger(lines));
    receiver.failNextExports(1);
    tracer.startServerSpan({}, SERVER_INFO).end(200);
    await until(() => tracer.stats.exportsFailed === 1, 3000, 'the refused export');
    t.match(tracer.stats, { spansSent: 0, spansDropped: 1, spansDroppedExportFailed: 1 });
    tracer.startServerSpan({}, SERVER_INFO).end(200);
    await receiver.waitForSpans(1);
    await until(() => tracer.stats.spansSent === 1, 3000, 'the accepted export');
    t.same(lines.map((l) => [l.level, l.msg]), [
      ['debug', 'tracing: enabled'],
      ['warn', 'tracing: span export failed; dropping spans until it recovers'],
      ['debug', 'tracing: span export recovered'],
    ]);
  });
}

/**
 * A tracer (always sampling) over an exporter that refuses every batch, `failAfterMs` after it is
 * handed one (0: at once); `batches` records each attempt's size.
 */
function tracerOverRefusingExporter(t: Test, maxExportBatchSize: number, failAfterMs: number): { tracer: GatewayTracer; batches: number[] } {
  const batches: number[] = [];
  const refuse = (done: (r: { code: number; error?: Error }) => void): void => done({ code: ExportResultCode.FAILED, error: new Error('collector down') });
  const exporter = {
    export: (spans: unknown[], done: (r: { code: number; error?: Error }) => void) => {
      batches.push(spans.length);
      if (failAfterMs > 0) setTimeout(() => refuse(done), failAfterMs);
      else refuse(done);
    },
    shutdown: async () => undefined,
  };
  const settings = resolveTracingSettings({
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    OTEL_BSP_MAX_QUEUE_SIZE: '1000',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(maxExportBatchSize),
    OTEL_BSP_SCHEDULE_DELAY: '10',
  });
  const tracer = new GatewayTracer(settings, { exporter });
  t.teardown(() => tracer.shutdown(100));
  return { tracer, batches };
}

t.test('while exports fail, only a small probe of spans is recorded per back-off', async (t) => {
  const { tracer, batches } = tracerOverRefusingExporter(t, 500, 0);
  for (let i = 0; i < 100; i++) oneRequest(tracer);
  await until(() => batches.length === 1, 5000, 'first export attempted');
  t.equal(batches[0], 300, 'before the first failure every span is recorded');
  for (let i = 0; i < 1000; i++) oneRequest(tracer);
  await until(() => batches.length === 2, 5000, 'the retry after the back-off');
  t.ok(batches[1] <= 64, `the retry carries a probe of at most 64 spans (${batches[1]})`);
  t.ok(tracer.stats.spansDroppedQueueFull >= 3000 - 64, `the rest was shed before recording (${tracer.stats.spansDroppedQueueFull})`);
});

t.test('spans queued before exports began to fail are dropped unencoded: each later attempt carries only a probe', async (t) => {
  // Fails later, as a connection to a dead collector does: the queue has filled meanwhile.
  const { tracer, batches } = tracerOverRefusingExporter(t, 200, 20);
  for (let i = 0; i < 200; i++) oneRequest(tracer); // 600 spans: three batches of 200 queued
  await until(() => tracer.stats.spansDropped === 600, 5000, 'every span accounted for');
  t.same(batches, [200, 64, 64], 'the first batch is sent whole, each later one only as a probe');
  t.equal(tracer.stats.exportsFailed, 3, 'three export calls failed');
  t.equal(tracer.stats.spansDroppedExportFailed, 600, 'the rest of the held batches is counted as dropped, unsent');
});

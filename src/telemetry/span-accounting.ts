/**
 * Counting what happens to finished spans, so the admin endpoint can print Envoy-style
 * `tracing.opentelemetry.spans_sent` / `spans_dropped` counters (Envoy's OpenTelemetry tracer has
 * `spans_sent`; the drop counters are ours).
 *
 * The SDK's BatchSpanProcessor drops silently when its queue is full and exposes no count (only an
 * experimental self-observability meter). So the gate in front of it keeps the same bound itself: it
 * counts spans handed to the processor, and the exporter wrapper counts them back out as the processor
 * passes each batch to the exporter (synchronously, our resource has no async attributes). The gate
 * never hands the processor more than maxQueueSize spans, so every drop is counted here, and a slow or
 * dead collector costs dropped spans only — request handling never waits on it.
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type Counter, StatsStore } from './stats-store';

/**
 * Tracing counters, kept in the gateway's StatsStore under Envoy's `tracing.opentelemetry.*` prefix
 * (so /stats and /stats/prometheus print them with everything else); read back through the getters.
 */
export class TracingStats {
  private readonly sent: Counter;
  private readonly dropped: Counter;
  private readonly droppedQueueFull: Counter;
  private readonly droppedExportFailed: Counter;
  private readonly failedExports: Counter;

  constructor(store: StatsStore = new StatsStore()) {
    this.sent = store.counter('tracing.opentelemetry.spans_sent');
    this.dropped = store.counter('tracing.opentelemetry.spans_dropped');
    this.droppedQueueFull = store.counter('tracing.opentelemetry.spans_dropped_queue_full');
    this.droppedExportFailed = store.counter('tracing.opentelemetry.spans_dropped_export_failed');
    this.failedExports = store.counter('tracing.opentelemetry.exports_failed');
  }

  /** spans the collector accepted */
  get spansSent(): number {
    return this.sent.value;
  }
  /** every span lost: queue full + export failed */
  get spansDropped(): number {
    return this.dropped.value;
  }
  get spansDroppedQueueFull(): number {
    return this.droppedQueueFull.value;
  }
  get spansDroppedExportFailed(): number {
    return this.droppedExportFailed.value;
  }
  /** export calls (batches) that failed */
  get exportsFailed(): number {
    return this.failedExports.value;
  }

  recordSent(spans: number): void {
    this.sent.inc(spans);
  }
  /** A sampled span never recorded because the queue was full (load shedding): lost like a queue-full drop. */
  recordShed(): void {
    this.recordQueueFull();
  }

  recordQueueFull(): void {
    this.droppedQueueFull.inc();
    this.dropped.inc();
  }
  recordExportFailed(spans: number): void {
    this.failedExports.inc();
    this.recordNotExported(spans);
  }
  /** Spans dropped unsent because exports are failing (beyond the probe an attempt carries). */
  recordNotExported(spans: number): void {
    this.droppedExportFailed.inc(spans);
    this.dropped.inc(spans);
  }
}

export interface TelemetryLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * Shared between the gate and the exporter wrapper: spans inside the batch processor right now, and
 * how many it may hold. While exports fail the capacity shrinks to a small probe — what the next
 * attempt carries — since a full queue would only be dropped (as Envoy, which buffers a handful of
 * spans and drops on a failed flush); new spans are then shed before they are recorded (tracer.ts).
 */
class QueueLevel {
  queued = 0;
  /** Set by the exporter wrapper after a failed export, cleared by a successful one. */
  failing = false;

  constructor(
    readonly maxQueueSize: number,
    readonly probeSize: number,
  ) {}

  get full(): boolean {
    return this.queued >= (this.failing ? this.probeSize : this.maxQueueSize);
  }
}

export class QueueGate implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly level: QueueLevel,
    private readonly stats: TracingStats,
  ) {}

  onStart(_span: Span, _parentContext: Context): void {
    // BatchSpanProcessor.onStart does nothing; skipping the call keeps span start cheap.
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.level.full) {
      this.stats.recordQueueFull();
      return;
    }
    this.level.queued++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Spans recorded per back-off period while the collector is unreachable: enough to notice it is back. */
const EXPORT_PROBE_SPANS = 64;

/** After a failed export, the next attempt waits this long, doubling per failure up to the max. */
const EXPORT_BACKOFF_INITIAL_MS = 1_000;
const EXPORT_BACKOFF_MAX_MS = 30_000;

export class CountingExporter implements SpanExporter {
  /** While a collector is down, encoding and sending every batch only to fail again is wasted CPU. */
  private retryAt = 0;
  private backoffMs = EXPORT_BACKOFF_INITIAL_MS;

  constructor(
    private readonly inner: SpanExporter,
    private readonly level: QueueLevel,
    private readonly stats: TracingStats,
    private readonly logger: TelemetryLogger | undefined,
  ) {}

  export(batch: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.level.queued = Math.max(0, this.level.queued - batch.length);
    // While failing, an attempt carries only a probe: the rest of a batch queued before the failure
    // would be encoded and sent only to fail again (they are dropped, counted, unencoded).
    const spans = this.level.failing && batch.length > this.level.probeSize ? batch.slice(0, this.level.probeSize) : batch;
    if (spans !== batch) this.stats.recordNotExported(batch.length - spans.length);
    const done = (result: ExportResult): void => {
      this.count(spans.length, result);
      resultCallback(result);
    };
    const wait = this.level.failing ? this.retryAt - Date.now() : 0;
    if (wait > 0) {
      // Hold this batch until the back-off ends: the batch processor waits for us, its queue fills,
      // and the gate drops new spans for the price of a counter — no encoding for a dead collector.
      setTimeout(() => this.attempt(spans, done), wait).unref();
      return;
    }
    this.attempt(spans, done);
  }

  private attempt(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      this.inner.export(spans, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private count(n: number, result: ExportResult): void {
    if (result.code === ExportResultCode.SUCCESS) {
      this.stats.recordSent(n);
      if (this.level.failing) this.logger?.debug({ spans: n }, 'tracing: span export recovered');
      this.level.failing = false;
      this.backoffMs = EXPORT_BACKOFF_INITIAL_MS;
      return;
    }
    this.stats.recordExportFailed(n);
    if (Date.now() >= this.retryAt) {
      // A real attempt failed: wait before the next one, longer each time.
      this.retryAt = Date.now() + this.backoffMs;
      if (this.level.failing) this.backoffMs = Math.min(this.backoffMs * 2, EXPORT_BACKOFF_MAX_MS);
    }
    // One warning per outage, not per batch: a dead collector must not flood the log.
    if (!this.level.failing) {
      this.logger?.warn({ err: result.error, spans: n }, 'tracing: span export failed; dropping spans until it recovers');
    }
    this.level.failing = true;
  }
}

/** Wires gate → batch processor → counting exporter around one shared queue level. */
export function buildCountingPipeline(
  exporter: SpanExporter,
  makeProcessor: (exporter: SpanExporter) => SpanProcessor,
  queue: { maxQueueSize: number; maxExportBatchSize: number },
  stats: TracingStats,
  logger: TelemetryLogger | undefined,
): { processor: SpanProcessor; isFull: () => boolean } {
  const level = new QueueLevel(queue.maxQueueSize, Math.min(EXPORT_PROBE_SPANS, queue.maxExportBatchSize, queue.maxQueueSize));
  const processor = makeProcessor(new CountingExporter(exporter, level, stats, logger));
  return { processor: new QueueGate(processor, level, stats), isFull: () => level.full };
}

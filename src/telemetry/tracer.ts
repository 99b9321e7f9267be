/**
 * GatewayTracer: one per gateway process (or per gateway in a test process). It owns its tracer
 * provider, sampler and propagator and registers nothing globally, so several gateways never collide.
 *
 * Per request the request path calls startServerSpan (Fastify onRequest), setRoute once routed,
 * startClientSpan for the primary and for each shadow, inject() into each upstream request's headers,
 * and end() on every handle. Envoy shapes followed (reference/envoy-semantics.md §1.5): the shadow span
 * is a child of the downstream span named "mirror"; its sampling comes from the mirror policy's
 * `trace_sampled` (unset ⇒ inherit); a shadow's failure only marks the shadow span.
 *
 * Cost: disabled ⇒ every call returns a shared frozen no-op. A sampler that can never sample
 * (always_off / ratio 0, not parent-based) ⇒ the same, with incoming trace headers passed through
 * untouched; only a `trace_sampled: true` shadow then gets a span, in a new trace.
 * Unsampled requests otherwise cost one extraction and a non-recording span per handle (no attributes).
 */
import { type Context, type Link, ROOT_CONTEXT, type Span, SpanKind, type TraceState, type Tracer, isSpanContextValid, trace } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SamplingDecision, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedCustomTag } from './envoy-tracing';
import { FastIdGenerator } from './id-generator';
import { createOtlpExporter } from './otlp-exporter';
import { GatewayPropagator, MAYBE_TRACE_HEADERS, headerMapWithTraceSlots } from './propagation';
import { CLIENT_TRACE_KEY, GatewaySampler, SAMPLED_OVERRIDE_KEY, neverSamples } from './sampler';
import { type TelemetryLogger, TracingStats, buildCountingPipeline } from './span-accounting';
import { ATTR, pathOnly, splitHostPort, urlWithoutQuery } from './span-attributes';
import {
  ActiveClientSpan,
  ActiveServerSpan,
  type ClientSpanHandle,
  NOOP_CLIENT_SPAN,
  NOOP_SERVER_SPAN,
  type ServerSpanHandle,
  ShedSpan,
} from './span-handles';
import type { StatsStore } from './stats-store';
import type { TracingSettings } from './tracing-config';

export interface ServerSpanInfo {
  method: string;
  /** request target as received; the query string is not recorded */
  path: string;
  /** :authority / Host, port included if sent */
  host?: string;
  scheme: string;
  peerAddress?: string;
  requestId?: string;
}

export interface ClientSpanInfo {
  /** 'mirror' spans are named "mirror" (Envoy); 'primary' spans `router <cluster> egress` (Envoy's upstream span) */
  name: 'primary' | 'mirror';
  cluster: string;
  method: string;
  /** the upstream URL (endpoint); the query string is not recorded */
  url: string;
  /** the Host header sent upstream (a shadow's carries the `-shadow` suffix) */
  host?: string;
  shadow: boolean;
  /** mirror policy `trace_sampled`: undefined inherits the server span's decision */
  sampled?: boolean;
}

export interface GatewayTracerOptions {
  logger?: TelemetryLogger;
  /** The gateway's stats store: tracing.opentelemetry.* counters are created in it. */
  stats?: StatsStore;
  /** Replaces the OTLP exporter (tests, or a custom backend). */
  exporter?: SpanExporter;
}

const INSTRUMENTATION_SCOPE = 'shadowgate';
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

export class GatewayTracer {
  readonly enabled: boolean;
  readonly stats: TracingStats;
  private readonly provider: BasicTracerProvider | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly propagator: GatewayPropagator;
  private readonly never: boolean;
  /** Whether trace context is ever written into upstream headers. */
  private readonly injects: boolean;
  private readonly clientTraceAware: boolean;
  private readonly customTags: readonly ResolvedCustomTag[];
  /** True while the export queue is full: new spans would only be dropped at their end. */
  private queueFull: () => boolean = () => false;
  private sampler: GatewaySampler | undefined;
  private readonly ids = new FastIdGenerator();
  /** Returned when sampling can never happen; a distinct object so forced shadows can recognise it. */
  private readonly unsampledRoot: ServerSpanHandle = Object.freeze({ ...NOOP_SERVER_SPAN });

  static disabled(): GatewayTracer {
    return new GatewayTracer(DISABLED_SETTINGS);
  }

  constructor(settings: TracingSettings, options: GatewayTracerOptions = {}) {
    this.stats = new TracingStats(options.stats);
    this.propagator = new GatewayPropagator(settings.propagators);
    this.never = neverSamples(settings.sampler);
    this.clientTraceAware = settings.sampler.clientRatio !== undefined;
    this.customTags = settings.customTags;
    this.enabled = settings.enabled && (settings.exporter !== undefined || options.exporter !== undefined);
    this.injects = this.enabled && !this.never && settings.propagators.inject.length > 0;
    for (const warning of settings.warnings) options.logger?.warn({ warning }, `tracing: ${warning}`);
    if (!this.enabled) return;
    options.logger?.debug(
      { exporter: settings.exporter, sampler: settings.sampler, propagators: settings.propagators },
      'tracing: enabled',
    );
    const exporter = options.exporter ?? createOtlpExporter(settings.exporter!);
    const { batch } = settings;
    const sampler = new GatewaySampler(settings.sampler);
    const maxExportBatchSize = Math.min(batch.maxExportBatchSize, batch.maxQueueSize);
    const pipeline = buildCountingPipeline(
      exporter,
      (counted) =>
        new BatchSpanProcessor(counted, {
          maxQueueSize: batch.maxQueueSize,
          maxExportBatchSize,
          scheduledDelayMillis: batch.scheduledDelayMs,
          exportTimeoutMillis: batch.exportTimeoutMs,
        }),
      { maxQueueSize: batch.maxQueueSize, maxExportBatchSize },
      this.stats,
      options.logger,
    );
    this.provider = new BasicTracerProvider({
      resource: defaultResource().merge(resourceFromAttributes(settings.resourceAttributes)),
      sampler,
      idGenerator: this.ids,
      spanProcessors: [pipeline.processor],
    });
    this.queueFull = pipeline.isFull;
    this.sampler = sampler;
    this.tracer = this.provider.getTracer(INSTRUMENTATION_SCOPE);
  }

  /**
   * The object the request path builds its upstream headers in: with the trace header fields reserved
   * when this tracer will inject into it (see headerMapWithTraceSlots), else a plain `{}`.
   */
  newUpstreamHeaders(): Record<string, string | string[] | undefined> {
    return this.injects ? (headerMapWithTraceSlots() as Record<string, undefined>) : {};
  }

  startServerSpan(headers: IncomingHttpHeaders, info: ServerSpanInfo): ServerSpanHandle {
    if (this.tracer === undefined) return NOOP_SERVER_SPAN;
    if (this.never) return this.unsampledRoot;
    const parentContext = this.propagator.extract(headers);
    const startContext =
      this.clientTraceAware && headers['x-client-trace-id'] !== undefined
        ? parentContext.setValue(CLIENT_TRACE_KEY, true)
        : parentContext;
    if (this.queueFull()) return this.shedServerSpan(startContext, parentContext, info.method);
    const span = this.tracer.startSpan(info.method, { kind: SpanKind.SERVER }, startContext);
    if (span.isRecording()) this.recordServerAttributes(span, headers, info);
    return new ActiveServerSpan(span.spanContext(), span, parentContext, info.method);
  }

  startClientSpan(parent: ServerSpanHandle, info: ClientSpanInfo): ClientSpanHandle {
    if (this.tracer === undefined) return NOOP_CLIENT_SPAN;
    if (parent instanceof ShedSpan) return this.shedChild(parent.traceId, parent.traceState, parent.downstream, info.sampled ?? parent.sampled);
    if (!(parent instanceof ActiveServerSpan)) {
      if (parent !== this.unsampledRoot || info.sampled !== true) return NOOP_CLIENT_SPAN;
      return this.startClient(undefined, true, info);
    }
    // Envoy tags the downstream span with the cluster the request was routed to.
    if (!info.shadow) parent.setAttribute(ATTR.upstreamCluster, info.cluster);
    return this.startClient(parent, info.sampled ?? parent.sampled, info);
  }

  /** Exports everything queued so far (tests, admin). */
  async forceFlush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Flushes and stops; never waits longer than `timeoutMs` on an unreachable collector. */
  async shutdown(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<void> {
    if (this.provider === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([this.provider.shutdown().catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Load shedding while the export queue is full (collector down or slow): the span would be dropped
   * when it ends, so it is not recorded at all — but it gets a real span id and the sampling decision,
   * so the context injected upstream is exactly what a recorded span would have propagated.
   */
  private shedServerSpan(ctx: Context, downstream: Context, name: string): ShedSpan {
    const parent = trace.getSpanContext(ctx);
    const traceId = parent && isSpanContextValid(parent) ? parent.traceId : this.ids.generateTraceId();
    const sampled = this.sampler!.shouldSample(ctx, traceId, name, SERVER, NO_ATTRIBUTES, NO_LINKS).decision === RECORD_AND_SAMPLED;
    if (sampled) this.stats.recordShed();
    return new ShedSpan(traceId, this.ids.generateSpanId(), sampled, parent?.traceState, downstream, this.propagator);
  }

  /** A shed child span: same trace, its own span id, the decision already made (no sampler to ask). */
  private shedChild(traceId: string, traceState: TraceState | undefined, downstream: Context, sampled: boolean): ShedSpan {
    if (sampled) this.stats.recordShed();
    return new ShedSpan(traceId, this.ids.generateSpanId(), sampled, traceState, downstream, this.propagator);
  }

  /** A child of `parent` (a new trace without one) whose sampling is decided already. */
  private startClient(parent: ActiveServerSpan | undefined, sampled: boolean, info: ClientSpanInfo): ClientSpanHandle {
    // Without a parent (a forced shadow under a never-sampling tracer) the request's headers were not
    // examined: the client's trace headers may be in them, to be cleared or rewritten.
    const downstream = parent?.parentContext ?? MAYBE_TRACE_HEADERS;
    if (this.queueFull()) {
      const p = parent?.context;
      return this.shedChild(p?.traceId ?? this.ids.generateTraceId(), p?.traceState, downstream, sampled);
    }
    const ctx = (parent ? parent.childContext() : ROOT_CONTEXT).setValue(SAMPLED_OVERRIDE_KEY, sampled);
    const name = info.name === 'mirror' ? 'mirror' : `router ${info.cluster} egress`;
    const span = this.tracer!.startSpan(name, { kind: SpanKind.CLIENT }, ctx);
    if (span.isRecording()) recordClientAttributes(span, info);
    return new ActiveClientSpan(span.spanContext(), span, downstream, this.propagator);
  }

  private recordServerAttributes(span: Span, headers: IncomingHttpHeaders, info: ServerSpanInfo): void {
    span.setAttribute(ATTR.method, info.method);
    span.setAttribute(ATTR.path, pathOnly(info.path));
    span.setAttribute(ATTR.scheme, info.scheme);
    if (info.host) {
      const [address, port] = splitHostPort(info.host);
      span.setAttribute(ATTR.serverAddress, address);
      if (port !== undefined) span.setAttribute(ATTR.serverPort, port);
    }
    if (info.peerAddress) span.setAttribute(ATTR.peerAddress, info.peerAddress);
    const ua = headers['user-agent'];
    if (ua) span.setAttribute(ATTR.userAgent, ua);
    if (info.requestId) span.setAttribute(ATTR.requestId, info.requestId);
    for (const tag of this.customTags) {
      if (tag.kind === 'literal') {
        span.setAttribute(tag.tag, tag.value);
        continue;
      }
      const raw = headers[tag.header];
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (value !== undefined) span.setAttribute(tag.tag, value);
      else if (tag.defaultValue !== undefined) span.setAttribute(tag.tag, tag.defaultValue);
    }
  }
}

// Read once: CommonJS re-exports are getters, evaluated on every access in code V8 has not optimised.
const RECORD_AND_SAMPLED = SamplingDecision.RECORD_AND_SAMPLED;
const SERVER = SpanKind.SERVER;
const NO_ATTRIBUTES = Object.freeze({});
const NO_LINKS: Link[] = [];

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i;

function recordClientAttributes(span: Span, info: ClientSpanInfo): void {
  span.setAttribute(ATTR.method, info.method);
  span.setAttribute(ATTR.urlFull, urlWithoutQuery(info.url));
  span.setAttribute(ATTR.upstreamCluster, info.cluster);
  if (info.shadow) span.setAttribute(ATTR.shadow, true);
  if (info.host) span.setAttribute(ATTR.requestHost, [info.host]);
  // server.* from the URL's authority when it has one, else from the Host sent upstream. No `new URL()`:
  // on a bare path it throws, and building that exception cost more than the whole span.
  const authority = ABSOLUTE_URL.exec(info.url)?.[1] ?? info.host;
  if (authority) {
    const [address, port] = splitHostPort(authority);
    span.setAttribute(ATTR.serverAddress, address);
    if (port !== undefined) span.setAttribute(ATTR.serverPort, port);
  }
}

const DISABLED_SETTINGS: TracingSettings = Object.freeze({
  enabled: false,
  serviceName: 'shadowgate',
  resourceAttributes: {},
  sampler: { ratio: 0, parentBased: false },
  propagators: { extract: [], inject: [] },
  batch: { maxQueueSize: 1, maxExportBatchSize: 1, scheduledDelayMs: 1, exportTimeoutMs: 1 },
  customTags: [],
  warnings: [],
});

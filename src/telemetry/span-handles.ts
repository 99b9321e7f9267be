/**
 * What the request path holds per request: small handles over OTel spans, plus shared no-op handles
 * for when nothing is traced (no allocation per request then).
 */
import { type Context, type Span, type SpanContext, SpanStatusCode, TraceFlags, type TraceState, trace } from '@opentelemetry/api';
import type { GatewayPropagator, HeaderCarrier } from './propagation';
import { ATTR, errorMessage, errorType } from './span-attributes';

export type AttributeValue = string | number | boolean;

interface SpanIdentity {
  /** The span records attributes and will be exported. */
  readonly recording: boolean;
  /** hex ids; '' on the no-op handles */
  readonly traceId: string;
  readonly spanId: string;
}

export interface ServerSpanHandle extends SpanIdentity {
  /**
   * Names the span after the route: the decorator operation when the route has one (Envoy
   * `Decorator.operation`), else `${method} ${routeName}` (OTel HTTP span naming), else `${method}`.
   * Also records `route_name`.
   */
  setRoute(routeName: string, decoratorOperation?: string): void;
  setAttribute(key: string, value: AttributeValue): void;
  /** ERROR on a 5xx or an error. Idempotent. */
  end(statusCode?: number, error?: unknown): void;
}

export interface ClientSpanHandle extends SpanIdentity {
  /** Writes this span's context into outgoing headers (lower-case names); nothing when untraced. */
  inject(headers: HeaderCarrier): void;
  /** ERROR on a 5xx or a failure (no response). Idempotent. */
  end(statusCode?: number, error?: unknown): void;
}

const noop = (): void => {};
/** Read once (a CommonJS re-export is a getter). */
const FLAGS_SAMPLED = TraceFlags.SAMPLED;
const FLAGS_NONE = TraceFlags.NONE;

export const NOOP_SERVER_SPAN: ServerSpanHandle = Object.freeze({
  recording: false,
  traceId: '',
  spanId: '',
  setRoute: noop,
  setAttribute: noop,
  end: noop,
});

export const NOOP_CLIENT_SPAN: ClientSpanHandle = Object.freeze({
  recording: false,
  traceId: '',
  spanId: '',
  inject: noop,
  end: noop,
});

/** Envoy's rule (HttpTracerUtility::finalizeUpstreamSpan/finalizeDownstreamSpan): error iff 5xx or no response. */
function finish(span: Span, statusCode: number | undefined, error: unknown): void {
  if (span.isRecording()) {
    if (statusCode !== undefined) span.setAttribute(ATTR.statusCode, statusCode);
    const type = errorType(statusCode, error);
    if (type !== undefined) {
      span.setAttribute(ATTR.errorType, type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    }
  }
  span.end();
}

/** A handle over a span the SDK created (recording or not). */
abstract class SpanHandleBase implements SpanIdentity {
  private ended = false;

  constructor(
    /** The SDK span's own spanContext(). */
    readonly context: SpanContext,
    readonly span: Span,
  ) {}

  get recording(): boolean {
    return this.span.isRecording();
  }

  get traceId(): string {
    return this.context.traceId;
  }

  get spanId(): string {
    return this.context.spanId;
  }

  get sampled(): boolean {
    return (this.context.traceFlags & FLAGS_SAMPLED) !== 0;
  }

  end(statusCode?: number, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    finish(this.span, statusCode, error);
  }
}

export class ActiveServerSpan extends SpanHandleBase implements ServerSpanHandle {
  constructor(
    context: SpanContext,
    span: Span,
    /** The extracted context (remote parent, baggage) the span was started in. */
    readonly parentContext: Context,
    private readonly method: string,
  ) {
    super(context, span);
  }

  setRoute(routeName: string, decoratorOperation?: string): void {
    if (!this.span.isRecording()) return;
    if (routeName) this.span.setAttribute(ATTR.routeName, routeName);
    this.span.updateName(decoratorOperation || (routeName ? `${this.method} ${routeName}` : this.method));
  }

  setAttribute(key: string, value: AttributeValue): void {
    if (this.span.isRecording()) this.span.setAttribute(key, value);
  }

  /** The context children are started in: this span as parent, the downstream baggage kept. */
  childContext(): Context {
    return trace.setSpan(this.parentContext, this.span);
  }
}

export class ActiveClientSpan extends SpanHandleBase implements ClientSpanHandle {
  constructor(
    context: SpanContext,
    span: Span,
    /** The extracted downstream context (baggage, B3 debug flag); see propagation.ts injectSpan for ROOT_CONTEXT. */
    private readonly downstream: Context,
    private readonly propagator: GatewayPropagator,
  ) {
    super(context, span);
  }

  inject(headers: HeaderCarrier): void {
    this.propagator.injectSpan(this.context, this.downstream, headers);
  }
}

/**
 * A span shed while the export queue is full (tracer.ts): it would be dropped at its end, so nothing is
 * recorded — only the ids and sampling decision the upstream headers need. One object per span, which
 * is its own SpanContext: a shed request allocates no OTel span, Context or separate span context.
 */
export class ShedSpan implements SpanContext, ServerSpanHandle, ClientSpanHandle {
  readonly recording = false;
  readonly traceFlags: number;

  constructor(
    readonly traceId: string,
    readonly spanId: string,
    sampled: boolean,
    readonly traceState: TraceState | undefined,
    /** The extracted downstream context (see ActiveClientSpan); children of a shed span are shed too. */
    readonly downstream: Context,
    private readonly propagator: GatewayPropagator,
  ) {
    this.traceFlags = sampled ? FLAGS_SAMPLED : FLAGS_NONE;
  }

  get sampled(): boolean {
    return this.traceFlags === FLAGS_SAMPLED;
  }

  inject(headers: HeaderCarrier): void {
    this.propagator.injectSpan(this, this.downstream, headers);
  }

  setRoute(): void {}
  setAttribute(): void {}
  end(): void {}
}

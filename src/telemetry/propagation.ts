/**
 * Trace-context propagation held by the tracer instance (never the global propagator, so several
 * gateways in one process do not share state).
 *
 * Extraction takes the FIRST valid context in a fixed priority — W3C traceparent, then B3 (single
 * `b3` header, else `x-b3-*`), then Jaeger `uber-trace-id` — instead of OTel's composite "last one
 * wins": W3C is the standard and what Envoy's OpenTelemetry tracer reads. A format is only parsed when
 * its header is present, so a request without trace headers costs one pass over its header names.
 *
 * Injection writes the configured formats, and additionally rewrites any other known format already
 * present in the outgoing headers (copied from the downstream request): otherwise the upstream would
 * see, say, a fresh traceparent next to the client's stale uber-trace-id and could join the wrong span.
 * Header names in the carrier must be lower-case (as Node delivers them).
 *
 * Injection runs for every upstream request, so the trace formats are written straight from the span's
 * ids (`injectSpan`), byte for byte what OTel's propagators write, without building a Context per
 * request; OTel's propagators still do it when the downstream context carries baggage or B3's debug
 * flag, which they carry over.
 */
import {
  type Context,
  ROOT_CONTEXT,
  type SpanContext,
  TraceFlags,
  createContextKey,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import { W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import type { IncomingHttpHeaders } from 'node:http';
import type { PropagatorName } from './tracing-config';

/** Outgoing request headers: a plain object with lower-case names (values of any header type). */
export type HeaderCarrier = Record<string, unknown>;

const getter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

const setter: TextMapSetter<HeaderCarrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

interface Format {
  readonly propagator: TextMapPropagator;
  /** Every header this format may write; cleared before (re)injecting. */
  readonly fields: readonly string[];
  /** Writes the format from a valid span context alone (no baggage, no B3 debug flag). */
  readonly write: (sc: SpanContext, headers: HeaderCarrier) => void;
  /** The fields `write` always sets (so they need no clearing first). */
  readonly written: readonly string[];
}

const FLAGS_SAMPLED = TraceFlags.SAMPLED; // read once: a CommonJS re-export is a getter
const flagsHex = (sc: SpanContext): string => ((sc.traceFlags & FLAGS_SAMPLED) !== 0 ? '01' : '00');
const sampledBit = (sc: SpanContext): string => ((sc.traceFlags & FLAGS_SAMPLED) !== 0 ? '1' : '0');

// The writers below produce exactly what the OTel propagators of the same name inject.
function writeTraceContext(sc: SpanContext, headers: HeaderCarrier): void {
  headers.traceparent = `00-${sc.traceId}-${sc.spanId}-${flagsHex(sc)}`;
  if (sc.traceState) headers.tracestate = sc.traceState.serialize();
}
function writeB3Single(sc: SpanContext, headers: HeaderCarrier): void {
  headers.b3 = `${sc.traceId}-${sc.spanId}-${sampledBit(sc)}`;
}
function writeB3Multi(sc: SpanContext, headers: HeaderCarrier): void {
  headers['x-b3-traceid'] = sc.traceId;
  headers['x-b3-spanid'] = sc.spanId;
  headers['x-b3-sampled'] = sampledBit(sc);
}
function writeJaeger(sc: SpanContext, headers: HeaderCarrier): void {
  headers['uber-trace-id'] = `${sc.traceId}:${sc.spanId}:0:${flagsHex(sc)}`;
}
// Without baggage in the context the baggage propagator writes nothing.
const writeNothing = (): void => {};

interface Extractor {
  readonly propagator: TextMapPropagator;
  readonly present: (h: IncomingHttpHeaders) => boolean;
}

const W3C = new W3CTraceContextPropagator();
const BAGGAGE = new W3CBaggagePropagator();
// B3Propagator extracts both encodings whatever its inject encoding.
const B3_SINGLE = new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
const B3_MULTI = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
const JAEGER = new JaegerPropagator();

const FORMATS: Record<PropagatorName, Format> = {
  tracecontext: { propagator: W3C, fields: W3C.fields(), write: writeTraceContext, written: ['traceparent'] },
  baggage: { propagator: BAGGAGE, fields: BAGGAGE.fields(), write: writeNothing, written: [] },
  b3: { propagator: B3_SINGLE, fields: B3_SINGLE.fields(), write: writeB3Single, written: ['b3'] },
  // x-b3-parentspanid is in fields() but never injected: clearing it drops the client's stale value.
  b3multi: { propagator: B3_MULTI, fields: B3_MULTI.fields(), write: writeB3Multi, written: ['x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled'] },
  jaeger: { propagator: JAEGER, fields: JAEGER.fields(), write: writeJaeger, written: ['uber-trace-id'] },
};

/**
 * A new upstream header map that already holds the fields the default format writes (W3C;
 * undefined: not sent). Built from one object literal, so the fields sit inside the object at fixed
 * offsets: injecting then overwrites them in place instead of adding properties to each request's
 * header object (a shape transition each). Node and undici skip undefined values. Other formats still
 * work, they just add their properties.
 */
export function headerMapWithTraceSlots(): HeaderCarrier {
  return { traceparent: undefined, tracestate: undefined };
}

/** Every header any supported format reads or writes. */
const TRACE_HEADER_NAMES: ReadonlySet<string> = new Set(
  Object.values(FORMATS).flatMap((f) => f.fields),
);

/**
 * A downstream context without a parent whose request may still carry trace headers: what `extract`
 * returns when they were all invalid, and what a span uses whose request was never examined (a forced
 * shadow under a never-sampling tracer). Distinct from ROOT_CONTEXT, which means "no trace header at
 * all" and lets injection skip clearing stale ones.
 */
export const MAYBE_TRACE_HEADERS: Context = ROOT_CONTEXT.setValue(createContextKey('shadowgate.maybe_trace_headers'), true);

export class GatewayPropagator {
  private readonly extractors: readonly Extractor[];
  private readonly extractBaggage: boolean;
  private readonly injectFormats: readonly Format[];
  private readonly rewriteIfPresent: readonly Format[];
  /** Fast path, flattened at construction: what to clear, then what to write. */
  private readonly staleFields: readonly string[];
  private readonly writers: ReadonlyArray<Format['write']>;

  constructor(config: { extract: readonly PropagatorName[]; inject: readonly PropagatorName[] }) {
    const ex = new Set(config.extract);
    const extractors: Extractor[] = [];
    if (ex.has('tracecontext')) extractors.push({ propagator: W3C, present: (h) => h.traceparent !== undefined });
    if (ex.has('b3') || ex.has('b3multi')) {
      extractors.push({ propagator: B3_SINGLE, present: (h) => h.b3 !== undefined || h['x-b3-traceid'] !== undefined });
    }
    if (ex.has('jaeger')) extractors.push({ propagator: JAEGER, present: (h) => h['uber-trace-id'] !== undefined });
    this.extractors = extractors;
    this.extractBaggage = ex.has('baggage');
    this.injectFormats = config.inject.map((n) => FORMATS[n]);
    const injected = new Set(config.inject);
    this.rewriteIfPresent = (['tracecontext', 'b3', 'b3multi', 'jaeger'] as const)
      .filter((n) => !injected.has(n))
      .map((n) => FORMATS[n]);
    const stale = new Set<string>();
    for (const f of this.injectFormats) for (const name of f.fields) if (!f.written.includes(name)) stale.add(name);
    this.staleFields = [...stale];
    this.writers = this.injectFormats.map((f) => f.write);
  }

  /**
   * The remote parent (and baggage) from downstream headers. ROOT_CONTEXT exactly when the request
   * carried no trace header at all (injectSpan relies on it).
   */
  extract(headers: IncomingHttpHeaders): Context {
    // Most edge requests carry no trace header: one pass over the few names they do carry is cheaper
    // than probing the object for each absent trace header name.
    if (!carriesTraceHeaders(headers)) return ROOT_CONTEXT;
    let ctx = ROOT_CONTEXT;
    if (this.extractBaggage && headers.baggage !== undefined) ctx = BAGGAGE.extract(ctx, headers, getter);
    for (const ex of this.extractors) {
      if (!ex.present(headers)) continue;
      const next = ex.propagator.extract(ctx, headers, getter);
      const sc = trace.getSpanContext(next);
      if (sc !== undefined && isSpanContextValid(sc)) return next;
    }
    return ctx === ROOT_CONTEXT ? MAYBE_TRACE_HEADERS : ctx;
  }

  /** Writes the span context held by `ctx` into outgoing request headers. */
  inject(ctx: Context, headers: HeaderCarrier): void {
    for (const f of this.injectFormats) writeFormat(f, ctx, headers);
    for (const f of this.rewriteIfPresent) {
      if (f.fields.some((name) => headers[name] !== undefined)) writeFormat(f, ctx, headers);
    }
  }

  /**
   * Writes a span's context into outgoing request headers; `downstream` is the extracted context the
   * trace started from (its baggage and B3 debug flag travel on). Same result as
   * `inject(trace.setSpanContext(downstream, sc))`, without a Context in the common case.
   */
  injectSpan(sc: SpanContext, downstream: Context, headers: HeaderCarrier): void {
    const writers = this.writers;
    if (downstream === ROOT_CONTEXT) {
      // No trace header came from downstream, so there is none to clear or rewrite (one set by
      // request_headers_to_add is kept, as in Envoy, whose tracer only writes its own headers).
      for (let i = 0; i < writers.length; i++) writers[i](sc, headers);
      return;
    }
    if (carriesExtras(downstream)) {
      this.inject(trace.setSpanContext(downstream, sc), headers);
      return;
    }
    const stale = this.staleFields;
    for (let i = 0; i < stale.length; i++) if (headers[stale[i]] !== undefined) headers[stale[i]] = undefined;
    for (let i = 0; i < writers.length; i++) writers[i](sc, headers);
    for (const f of this.rewriteIfPresent) {
      if (f.fields.some((name) => headers[name] !== undefined)) {
        clearFields(f, headers);
        f.write(sc, headers);
      }
    }
  }
}

function carriesTraceHeaders(headers: IncomingHttpHeaders): boolean {
  for (const name in headers) if (TRACE_HEADER_NAMES.has(name)) return true;
  return false;
}

/** @opentelemetry/propagator-b3's key (not exported; context keys are `Symbol.for(description)`). */
const B3_DEBUG_FLAG_KEY = createContextKey('OpenTelemetry Context Key B3 Debug Flag');

/** Baggage or B3's debug flag (which no span context holds) in an extracted context. */
function carriesExtras(ctx: Context): boolean {
  return propagation.getBaggage(ctx) !== undefined || ctx.getValue(B3_DEBUG_FLAG_KEY) !== undefined;
}

// Cleared, not deleted: `delete` turns the header object into a slow dictionary for everything that
// reads it afterwards (undici, the shadow copy); undefined values are not sent.
function clearFields(format: Format, headers: HeaderCarrier): void {
  for (const name of format.fields) if (headers[name] !== undefined) headers[name] = undefined;
}

function writeFormat(format: Format, ctx: Context, headers: HeaderCarrier): void {
  clearFields(format, headers);
  format.propagator.inject(ctx, headers, setter);
}

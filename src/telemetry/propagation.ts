/**
 * Trace-context propagation held by the tracer instance (never the global propagator, so several
 * gateways in one process do not share state).
 *
 * Extraction takes the FIRST valid context in a fixed priority — W3C traceparent, then B3 (single
 * `b3` header, else `x-b3-*`), then Jaeger `uber-trace-id` — instead of OTel's composite "last one
 * wins": W3C is the standard and what Envoy's OpenTelemetry tracer reads. A format is only parsed when
 * its header is present, so a request without trace headers costs a few property lookups.
 *
 * Injection writes the configured formats, and additionally rewrites any other known format already
 * present in the outgoing headers (copied from the downstream request): otherwise the upstream would
 * see, say, a fresh traceparent next to the client's stale uber-trace-id and could join the wrong span.
 * Header names in the carrier must be lower-case (as Node delivers them).
 */
import {
  type Context,
  ROOT_CONTEXT,
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
}

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
  tracecontext: { propagator: W3C, fields: W3C.fields() },
  baggage: { propagator: BAGGAGE, fields: BAGGAGE.fields() },
  b3: { propagator: B3_SINGLE, fields: B3_SINGLE.fields() },
  // x-b3-parentspanid is in fields() but never injected: clearing it drops the client's stale value.
  b3multi: { propagator: B3_MULTI, fields: B3_MULTI.fields() },
  jaeger: { propagator: JAEGER, fields: JAEGER.fields() },
};

export class GatewayPropagator {
  private readonly extractors: readonly Extractor[];
  private readonly extractBaggage: boolean;
  private readonly injectFormats: readonly Format[];
  private readonly rewriteIfPresent: readonly Format[];

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
  }

  /** The remote parent (and baggage) from downstream headers; ROOT_CONTEXT when there is none. */
  extract(headers: IncomingHttpHeaders): Context {
    let ctx = ROOT_CONTEXT;
    if (this.extractBaggage && headers.baggage !== undefined) ctx = BAGGAGE.extract(ctx, headers, getter);
    for (const ex of this.extractors) {
      if (!ex.present(headers)) continue;
      const next = ex.propagator.extract(ctx, headers, getter);
      const sc = trace.getSpanContext(next);
      if (sc !== undefined && isSpanContextValid(sc)) return next;
    }
    return ctx;
  }

  /** Writes the span context held by `ctx` into outgoing request headers. */
  inject(ctx: Context, headers: HeaderCarrier): void {
    for (const f of this.injectFormats) writeFormat(f, ctx, headers);
    for (const f of this.rewriteIfPresent) {
      if (f.fields.some((name) => headers[name] !== undefined)) writeFormat(f, ctx, headers);
    }
  }
}

function writeFormat(format: Format, ctx: Context, headers: HeaderCarrier): void {
  // Cleared, not deleted: `delete` turns the header object into a slow dictionary for everything that
  // reads it afterwards (undici, the shadow copy); undefined values are not sent.
  for (const name of format.fields) if (headers[name] !== undefined) headers[name] = undefined;
  format.propagator.inject(ctx, headers, setter);
}

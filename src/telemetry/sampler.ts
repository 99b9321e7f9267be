/**
 * The sampling decision, as one OTel Sampler so the SDK allocates nothing for unsampled spans.
 *
 * Server spans: parent-based (when configured) over a root that uses `ratio`, or `clientRatio` when the
 * request carries `x-client-trace-id` (Envoy client_sampling). Client spans never consult the root:
 * the tracer always puts an explicit decision into the context under SAMPLED_OVERRIDE_KEY — the parent
 * server span's flag, or a mirror policy's `trace_sampled` (Envoy `child_span_->setSampled(...)`,
 * source/common/http/async_client_impl.cc). That is how a shadow span can be sampled under an unsampled
 * parent, or unsampled under a sampled one, with the injected traceparent saying the same.
 */
import { type Attributes, type Context, type Link, type SpanKind, createContextKey } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerSettings } from './tracing-config';

/** Context value `true` / `false` forces the decision for the span started in that context. */
export const SAMPLED_OVERRIDE_KEY = createContextKey('shadowgate.sampled_override');
/** Context value `true` when the request carries x-client-trace-id (Envoy client-directed tracing). */
export const CLIENT_TRACE_KEY = createContextKey('shadowgate.client_trace');

const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

function ratioSampler(ratio: number): Sampler {
  if (ratio >= 1) return new AlwaysOnSampler();
  if (ratio <= 0) return new AlwaysOffSampler();
  return new TraceIdRatioBasedSampler(ratio);
}

class ClientAwareRootSampler implements Sampler {
  constructor(
    private readonly random: Sampler,
    private readonly client: Sampler | undefined,
  ) {}

  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attrs: Attributes, links: Link[]): SamplingResult {
    const sampler = this.client !== undefined && ctx.getValue(CLIENT_TRACE_KEY) === true ? this.client : this.random;
    return sampler.shouldSample(ctx, traceId, name, kind, attrs, links);
  }

  toString(): string {
    return `ClientAwareRoot{random=${this.random.toString()}, client=${String(this.client)}}`;
  }
}

export class GatewaySampler implements Sampler {
  private readonly delegate: Sampler;

  constructor(settings: SamplerSettings) {
    const client = settings.clientRatio === undefined ? undefined : ratioSampler(settings.clientRatio);
    const root = new ClientAwareRootSampler(ratioSampler(settings.ratio), client);
    this.delegate = settings.parentBased ? new ParentBasedSampler({ root }) : root;
  }

  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attrs: Attributes, links: Link[]): SamplingResult {
    const forced = ctx.getValue(SAMPLED_OVERRIDE_KEY);
    if (forced === true) return SAMPLED;
    if (forced === false) return NOT_SAMPLED;
    return this.delegate.shouldSample(ctx, traceId, name, kind, attrs, links);
  }

  toString(): string {
    return `GatewaySampler{${this.delegate.toString()}}`;
  }
}

/**
 * True when no server span can ever be sampled (always_off / ratio 0, not parent-based, no client
 * sampling): the tracer then skips extraction and span creation entirely.
 */
export function neverSamples(s: SamplerSettings): boolean {
  return !s.parentBased && s.ratio <= 0 && !(s.clientRatio !== undefined && s.clientRatio > 0);
}

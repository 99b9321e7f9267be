/**
 * Tracing settings from the standard OpenTelemetry environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/) merged with the
 * Envoy HCM `tracing` block. Pure: the environment is passed in, nothing is read or logged here;
 * problems come back as `warnings` for the caller to log.
 *
 * Precedence, field by field: Envoy config > environment > default — the same order the OTel SDK
 * uses (code-provided config beats env). Exception: OTEL_SDK_DISABLED=true always disables (kill switch).
 *
 * Departures from the OTel defaults, on purpose:
 * - No endpoint configured ⇒ tracing is off (the spec would export to localhost:4318). A gateway that
 *   silently exports to nowhere costs work and log noise; set OTEL_TRACES_EXPORTER=otlp to get the
 *   spec default endpoint.
 * - OTEL_PROPAGATORS unset ⇒ extract W3C tracecontext + baggage, B3 (single and multi) and Jaeger
 *   `uber-trace-id`; inject W3C tracecontext + baggage (the spec's default, and what Envoy's
 *   OpenTelemetry tracer sends). An edge proxy must continue whatever its clients send, so extraction
 *   takes every format; and a B3 or Jaeger context that came from downstream is rewritten in its own
 *   format upstream too (propagation.ts), so those callers' services keep their traces. B3 for
 *   requests that brought none is opt-in (`OTEL_PROPAGATORS=tracecontext,baggage,b3multi`): every
 *   injected header is validated, written and parsed on every upstream request, and B3 multi adds
 *   three to the primary and to each shadow (one A/B here, 100 % mirror at saturation: gateway CPU per
 *   request ×1.21 with them, ×1.12 without, against sampling off). When set, the list is used for both
 *   directions, as the spec says.
 */
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import {
  type ClusterResolver,
  type EnvoyTracingConfig,
  type ResolvedCustomTag,
  percentToRatio,
  resolveCustomTags,
  resolveEnvoyProvider,
} from './envoy-tracing';

export type OtlpProtocol = 'grpc' | 'http/protobuf';
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger';

export interface SamplerSettings {
  /** Probability in [0, 1] for a trace the gateway starts (no valid incoming parent). */
  readonly ratio: number;
  /** Follow an incoming parent's sampled flag (parentbased_* / Envoy). */
  readonly parentBased: boolean;
  /**
   * Envoy `client_sampling` × `overall_sampling`: probability used instead of `ratio` when the request
   * carries `x-client-trace-id`. Undefined when no Envoy tracing block is given (header not special).
   */
  readonly clientRatio?: number;
}

export interface BatchSettings {
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMs: number;
  readonly exportTimeoutMs: number;
}

export interface TracingSettings {
  readonly enabled: boolean;
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Present when enabled. grpc: `http(s)://host:port`; http/protobuf: full URL ending in /v1/traces. */
  readonly exporter?: { readonly protocol: OtlpProtocol; readonly url: string; readonly timeoutMs: number };
  readonly sampler: SamplerSettings;
  readonly propagators: { readonly extract: readonly PropagatorName[]; readonly inject: readonly PropagatorName[] };
  readonly batch: BatchSettings;
  readonly customTags: readonly ResolvedCustomTag[];
  readonly warnings: readonly string[];
}

export interface ResolveOptions {
  /** Resolves `grpc_service.envoy_grpc.cluster_name` of the Envoy OpenTelemetry provider. */
  resolveCluster?: ClusterResolver;
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_SERVICE_NAME = 'shadowgate';
const DEFAULT_HTTP_URL = 'http://localhost:4318/v1/traces';
const DEFAULT_GRPC_URL = 'http://localhost:4317';
const KNOWN_PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'];
const DEFAULT_EXTRACT: readonly PropagatorName[] = KNOWN_PROPAGATORS;
const DEFAULT_INJECT: readonly PropagatorName[] = ['tracecontext', 'baggage'];

export function resolveTracingSettings(
  env: Env,
  envoyTracing?: EnvoyTracingConfig,
  options: ResolveOptions = {},
): TracingSettings {
  const warnings: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined; // the spec treats empty values as unset
  };
  const provider = resolveEnvoyProvider(envoyTracing?.provider, options.resolveCluster, warnings);
  const resourceAttributes = parseResourceAttributes(get('OTEL_RESOURCE_ATTRIBUTES'), warnings);
  const serviceName =
    provider.serviceName ?? get('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? DEFAULT_SERVICE_NAME;
  const exporter = resolveExporter(get, provider, warnings);
  const disabled = get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  return {
    enabled: !disabled && exporter !== undefined,
    serviceName,
    resourceAttributes: { ...resourceAttributes, 'service.name': serviceName },
    exporter: disabled ? undefined : exporter,
    sampler: resolveSampler(get, envoyTracing, warnings),
    propagators: resolvePropagators(get('OTEL_PROPAGATORS'), warnings),
    batch: {
      // Defaults are the spec's BatchSpanProcessor defaults.
      maxQueueSize: positiveInt(get, 'OTEL_BSP_MAX_QUEUE_SIZE', warnings) ?? 2048,
      maxExportBatchSize: positiveInt(get, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', warnings) ?? 512,
      scheduledDelayMs: positiveInt(get, 'OTEL_BSP_SCHEDULE_DELAY', warnings) ?? 5000,
      exportTimeoutMs: positiveInt(get, 'OTEL_BSP_EXPORT_TIMEOUT', warnings) ?? 30000,
    },
    customTags: resolveCustomTags(envoyTracing?.custom_tags, env, warnings),
    warnings,
  };
}

function resolveExporter(
  get: (name: string) => string | undefined,
  provider: { endpoint?: string; protocol?: OtlpProtocol },
  warnings: string[],
): TracingSettings['exporter'] {
  const exporterName = get('OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporterName === 'none') return undefined;
  if (exporterName !== undefined && exporterName !== 'otlp') {
    warnings.push(`OTEL_TRACES_EXPORTER: '${exporterName}' is not supported (only otlp), ignored`);
  }
  const protocol = provider.protocol ?? resolveProtocol(get, warnings);
  const timeoutMs =
    positiveInt(get, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', warnings) ??
    positiveInt(get, 'OTEL_EXPORTER_OTLP_TIMEOUT', warnings) ??
    10000;
  let url = provider.endpoint ?? get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (url === undefined && base !== undefined) {
    // The generic endpoint is a base URL: http appends the signal path, gRPC uses it as is (spec).
    url = protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
  }
  if (url === undefined && exporterName === 'otlp') url = protocol === 'grpc' ? DEFAULT_GRPC_URL : DEFAULT_HTTP_URL;
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    warnings.push(`OTLP traces endpoint '${url}' is not an http(s) URL; tracing disabled`);
    return undefined;
  }
  return { protocol, url, timeoutMs };
}

function resolveProtocol(get: (name: string) => string | undefined, warnings: string[]): OtlpProtocol {
  const raw = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? get('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (raw === undefined || raw === 'http/protobuf') return 'http/protobuf';
  if (raw === 'grpc') return 'grpc';
  warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL: '${raw}' is not supported (grpc, http/protobuf), using http/protobuf`);
  return 'http/protobuf';
}

function resolveSampler(
  get: (name: string) => string | undefined,
  envoy: EnvoyTracingConfig | undefined,
  warnings: string[],
): SamplerSettings {
  let { ratio, parentBased } = samplerFromEnv(get, warnings);
  if (!envoy) return { ratio, parentBased };
  // Envoy: the tracer follows an incoming sampled flag; random_sampling decides new traces;
  // overall_sampling caps whatever the other checks let through (HCM Tracing proto comments).
  const random = percentToRatio(envoy.random_sampling, 'tracing.random_sampling', warnings);
  const overall = percentToRatio(envoy.overall_sampling, 'tracing.overall_sampling', warnings) ?? 1;
  const client = percentToRatio(envoy.client_sampling, 'tracing.client_sampling', warnings) ?? 1;
  if (random !== undefined) {
    ratio = random;
    parentBased = true;
  }
  return { ratio: ratio * overall, parentBased, clientRatio: client * overall };
}

function samplerFromEnv(
  get: (name: string) => string | undefined,
  warnings: string[],
): { ratio: number; parentBased: boolean } {
  const name = get('OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  const parentBased = name.startsWith('parentbased_');
  switch (parentBased ? name.slice('parentbased_'.length) : name) {
    case 'always_on':
      return { ratio: 1, parentBased };
    case 'always_off':
      return { ratio: 0, parentBased };
    case 'traceidratio':
      return { ratio: samplerArg(get('OTEL_TRACES_SAMPLER_ARG'), warnings), parentBased };
    default:
      warnings.push(`OTEL_TRACES_SAMPLER: '${name}' is not supported, using parentbased_always_on`);
      return { ratio: 1, parentBased: true };
  }
}

function samplerArg(raw: string | undefined, warnings: string[]): number {
  const n = raw === undefined ? NaN : Number(raw);
  if (Number.isFinite(n) && n >= 0 && n <= 1) return n;
  warnings.push(`OTEL_TRACES_SAMPLER_ARG: '${raw ?? ''}' is not a number in [0, 1], using 1`);
  return 1;
}

function resolvePropagators(raw: string | undefined, warnings: string[]): TracingSettings['propagators'] {
  if (raw === undefined) return { extract: DEFAULT_EXTRACT, inject: DEFAULT_INJECT };
  const names: PropagatorName[] = [];
  for (const item of raw.split(',')) {
    const name = item.trim().toLowerCase();
    if (name === '' || name === 'none') continue;
    if ((KNOWN_PROPAGATORS as readonly string[]).includes(name)) {
      if (!names.includes(name as PropagatorName)) names.push(name as PropagatorName);
    } else {
      warnings.push(`OTEL_PROPAGATORS: '${name}' is not supported, ignored`);
    }
  }
  return { extract: names, inject: names };
}

function parseResourceAttributes(raw: string | undefined, warnings: string[]): Record<string, string> {
  if (raw === undefined) return {};
  try {
    return parseKeyPairsIntoRecord(raw);
  } catch {
    warnings.push('OTEL_RESOURCE_ATTRIBUTES: could not be parsed, ignored');
    return {};
  }
}

/** undefined when unset or invalid (invalid adds a warning), so callers chain fallbacks with `??`. */
function positiveInt(
  get: (name: string) => string | undefined,
  name: string,
  warnings: string[],
): number | undefined {
  const raw = get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return n;
  warnings.push(`${name}: '${raw}' is not a positive integer, ignored`);
  return undefined;
}

/**
 * The Envoy side of tracing settings: `HttpConnectionManager.tracing`
 * (envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto, message
 * `Tracing`) in its YAML/JSON shape, so the config module can hand the parsed block over unchanged.
 * Only what changes behaviour here is read; everything else is ignored, never rejected.
 */

/** `envoy.type.v3.Percent`: `{value: 0..100}`. A bare number is accepted as the same percentage. */
export type EnvoyPercent = { value?: number } | number;

/** `envoy.type.tracing.v3.CustomTag` (metadata tags are not supported and produce a warning). */
export interface EnvoyCustomTag {
  tag: string;
  literal?: { value?: string };
  environment?: { name: string; default_value?: string };
  request_header?: { name: string; default_value?: string };
  metadata?: unknown;
}

/** `envoy.config.trace.v3.OpenTelemetryConfig` as it appears under `provider.typed_config`. */
export interface EnvoyOpenTelemetryConfig {
  '@type'?: string;
  service_name?: string;
  grpc_service?: {
    envoy_grpc?: { cluster_name?: string };
    google_grpc?: { target_uri?: string };
  };
  http_service?: { http_uri?: { uri?: string; cluster?: string } };
}

export interface EnvoyTracingConfig {
  client_sampling?: EnvoyPercent;
  random_sampling?: EnvoyPercent;
  overall_sampling?: EnvoyPercent;
  custom_tags?: EnvoyCustomTag[];
  provider?: { name?: string; typed_config?: EnvoyOpenTelemetryConfig };
}

export type ResolvedCustomTag =
  | { readonly tag: string; readonly kind: 'literal'; readonly value: string }
  | {
      readonly tag: string;
      readonly kind: 'request_header';
      /** lower-cased, as Node delivers incoming header names */
      readonly header: string;
      readonly defaultValue?: string;
    };

export interface ResolvedEnvoyProvider {
  serviceName?: string;
  /** grpc: `http://host:port`; http/protobuf: the full export URL */
  endpoint?: string;
  protocol?: 'grpc' | 'http/protobuf';
}

/** Maps an Envoy cluster name to `http://host:port` (the config module knows the clusters, we do not). */
export type ClusterResolver = (clusterName: string) => string | undefined;

type Env = Readonly<Record<string, string | undefined>>;

const OTEL_PROVIDER_NAME = 'envoy.tracers.opentelemetry';

/** Percent → ratio in [0, 1]; undefined when unset or invalid (invalid adds a warning). */
export function percentToRatio(
  value: EnvoyPercent | undefined,
  path: string,
  warnings: string[],
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const pct = typeof value === 'number' ? value : value.value ?? 0; // proto3 default of `value` is 0
  if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100) {
    warnings.push(`${path}: must be a percentage between 0 and 100, ignored`);
    return undefined;
  }
  return pct / 100;
}

/**
 * Environment tags are read now, like Envoy reads them when the config loads; a tag with neither a
 * value nor a default is left out (Envoy sets no tag then).
 */
export function resolveCustomTags(
  tags: EnvoyCustomTag[] | undefined,
  env: Env,
  warnings: string[],
): ResolvedCustomTag[] {
  const out: ResolvedCustomTag[] = [];
  (tags ?? []).forEach((t, i) => {
    const path = `tracing.custom_tags[${i}]`;
    if (!t || typeof t.tag !== 'string' || t.tag === '') {
      warnings.push(`${path}.tag: required, tag ignored`);
      return;
    }
    if (t.literal) {
      out.push({ tag: t.tag, kind: 'literal', value: t.literal.value ?? '' });
    } else if ((t.environment || t.request_header) && typeof (t.environment ?? t.request_header)?.name !== 'string') {
      warnings.push(`${path}: ${t.environment ? 'environment' : 'request_header'}.name is required, tag ignored`);
    } else if (t.environment) {
      const value = env[t.environment.name] || t.environment.default_value;
      if (value !== undefined) out.push({ tag: t.tag, kind: 'literal', value });
    } else if (t.request_header) {
      out.push({
        tag: t.tag,
        kind: 'request_header',
        header: t.request_header.name.toLowerCase(),
        defaultValue: t.request_header.default_value,
      });
    } else {
      warnings.push(`${path}: only literal, environment and request_header tags are supported, ignored`);
    }
  });
  return out;
}

export function resolveEnvoyProvider(
  provider: EnvoyTracingConfig['provider'],
  resolveCluster: ClusterResolver | undefined,
  warnings: string[],
): ResolvedEnvoyProvider {
  if (!provider) return {};
  if (provider.name && provider.name !== OTEL_PROVIDER_NAME) {
    warnings.push(`tracing.provider.name: only ${OTEL_PROVIDER_NAME} is supported, provider ignored`);
    return {};
  }
  const cfg = provider.typed_config ?? {};
  const out: ResolvedEnvoyProvider = { serviceName: cfg.service_name || undefined };
  const httpUri = cfg.http_service?.http_uri?.uri;
  const grpcTarget = cfg.grpc_service?.google_grpc?.target_uri;
  const grpcCluster = cfg.grpc_service?.envoy_grpc?.cluster_name;
  if (httpUri) {
    out.endpoint = httpUri;
    out.protocol = 'http/protobuf';
  } else if (grpcTarget) {
    out.endpoint = /^\w+:\/\//.test(grpcTarget) ? grpcTarget : `http://${grpcTarget}`;
    out.protocol = 'grpc';
  } else if (grpcCluster) {
    const resolved = resolveCluster?.(grpcCluster);
    if (resolved) {
      out.endpoint = resolved;
      out.protocol = 'grpc';
    } else {
      warnings.push(
        `tracing.provider.typed_config.grpc_service.envoy_grpc.cluster_name: cluster '${grpcCluster}' ` +
          'could not be resolved to an address; falling back to OTEL_EXPORTER_OTLP_* endpoints',
      );
    }
  }
  return out;
}

/**
 * The OTLP span exporter for the configured protocol. Headers, compression and TLS files come from
 * OTEL_EXPORTER_OTLP_* in process.env, read by the OTel exporter itself; the URL and timeout are always
 * passed explicitly so our resolved settings win over the environment.
 */
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingSettings } from './tracing-config';

export function createOtlpExporter(cfg: NonNullable<TracingSettings['exporter']>): SpanExporter {
  const options = { url: cfg.url, timeoutMillis: cfg.timeoutMs };
  return cfg.protocol === 'grpc' ? new GrpcTraceExporter(options) : new ProtoTraceExporter(options);
}

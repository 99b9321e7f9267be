/** Public surface of the telemetry module; the request path and the CLI import from here only. */
export { GatewayTracer } from './tracer';
export type { ClientSpanInfo, GatewayTracerOptions, ServerSpanInfo } from './tracer';
export type { ClientSpanHandle, ServerSpanHandle, AttributeValue } from './span-handles';
export type { HeaderCarrier } from './propagation';
export type { TelemetryLogger, TracingStats } from './span-accounting';
export { resolveTracingSettings } from './tracing-config';
export type { OtlpProtocol, PropagatorName, ResolveOptions, SamplerSettings, TracingSettings } from './tracing-config';
export type { ClusterResolver, EnvoyCustomTag, EnvoyTracingConfig, ResolvedCustomTag } from './envoy-tracing';

/** resolveTracingSettings: OTEL_* environment merged with the Envoy HCM tracing block. */
import t from 'tap';
import { resolveTracingSettings } from '../../src/telemetry';
import type { EnvoyTracingConfig, ResolveOptions } from '../../src/telemetry';

interface Row {
  name: string;
  env?: Record<string, string>;
  envoy?: EnvoyTracingConfig;
  options?: ResolveOptions;
  expect: object;
  warnings?: RegExp[];
}

const EP = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

const rows: Row[] = [
  {
    name: 'nothing set: off, spec defaults elsewhere',
    expect: {
      enabled: false,
      exporter: undefined,
      serviceName: 'shadowgate',
      resourceAttributes: { 'service.name': 'shadowgate' },
      sampler: { ratio: 1, parentBased: true, clientRatio: undefined },
      propagators: {
        extract: ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'],
        inject: ['tracecontext', 'baggage'],
      },
      batch: { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMs: 5000, exportTimeoutMs: 30000 },
      customTags: [],
    },
  },
  {
    name: 'generic endpoint gets /v1/traces for http/protobuf (the default protocol)',
    env: EP,
    expect: { enabled: true, exporter: { protocol: 'http/protobuf', url: 'http://collector:4318/v1/traces', timeoutMs: 10000 } },
  },
  {
    name: 'trailing slash on the generic endpoint',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318/otlp/' },
    expect: { exporter: { url: 'https://collector:4318/otlp/v1/traces' } },
  },
  {
    name: 'generic endpoint used as is for grpc',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    expect: { exporter: { protocol: 'grpc', url: 'http://collector:4317' } },
  },
  {
    name: 'signal-specific endpoint and protocol win, used as is',
    env: {
      ...EP,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom',
    },
    expect: { exporter: { protocol: 'http/protobuf', url: 'http://traces:9999/custom' } },
  },
  {
    name: 'OTEL_TRACES_EXPORTER=otlp without endpoint: spec default endpoint',
    env: { OTEL_TRACES_EXPORTER: 'otlp' },
    expect: { enabled: true, exporter: { url: 'http://localhost:4318/v1/traces' } },
  },
  {
    name: 'OTEL_TRACES_EXPORTER=otlp with grpc',
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    expect: { exporter: { protocol: 'grpc', url: 'http://localhost:4317' } },
  },
  { name: 'OTEL_TRACES_EXPORTER=none', env: { ...EP, OTEL_TRACES_EXPORTER: 'none' }, expect: { enabled: false, exporter: undefined } },
  {
    name: 'unsupported exporter name is ignored with a warning',
    env: { ...EP, OTEL_TRACES_EXPORTER: 'zipkin' },
    expect: { enabled: true },
    warnings: [/OTEL_TRACES_EXPORTER/],
  },
  { name: 'OTEL_SDK_DISABLED=true is a kill switch', env: { ...EP, OTEL_SDK_DISABLED: 'TRUE' }, expect: { enabled: false, exporter: undefined } },
  { name: 'OTEL_SDK_DISABLED=false', env: { ...EP, OTEL_SDK_DISABLED: 'false' }, expect: { enabled: true } },
  { name: 'empty values count as unset', env: { OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_SERVICE_NAME: '' }, expect: { enabled: false, serviceName: 'shadowgate' } },
  {
    name: 'unsupported protocol falls back to http/protobuf',
    env: { ...EP, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    expect: { exporter: { protocol: 'http/protobuf' } },
    warnings: [/http\/json/],
  },
  { name: 'endpoint without http(s) scheme disables', env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' }, expect: { enabled: false }, warnings: [/not an http/] },
  { name: 'timeout: signal-specific wins', env: { ...EP, OTEL_EXPORTER_OTLP_TIMEOUT: '2000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000' }, expect: { exporter: { timeoutMs: 3000 } } },
  { name: 'timeout: generic', env: { ...EP, OTEL_EXPORTER_OTLP_TIMEOUT: '2000' }, expect: { exporter: { timeoutMs: 2000 } } },
  // samplers
  { name: 'always_on', env: { OTEL_TRACES_SAMPLER: 'always_on' }, expect: { sampler: { ratio: 1, parentBased: false } } },
  { name: 'always_off', env: { OTEL_TRACES_SAMPLER: 'always_off' }, expect: { sampler: { ratio: 0, parentBased: false } } },
  { name: 'traceidratio', env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }, expect: { sampler: { ratio: 0.1, parentBased: false } } },
  { name: 'parentbased_traceidratio', env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }, expect: { sampler: { ratio: 0.5, parentBased: true } } },
  { name: 'parentbased_always_off', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, expect: { sampler: { ratio: 0, parentBased: true } } },
  { name: 'bad sampler arg → 1 with warning', env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, expect: { sampler: { ratio: 1 } }, warnings: [/SAMPLER_ARG/] },
  { name: 'unknown sampler → parentbased_always_on', env: { OTEL_TRACES_SAMPLER: 'jaeger_remote' }, expect: { sampler: { ratio: 1, parentBased: true } }, warnings: [/jaeger_remote/] },
  // propagators
  { name: 'OTEL_PROPAGATORS sets both directions', env: { OTEL_PROPAGATORS: 'tracecontext, baggage,tracecontext' }, expect: { propagators: { extract: ['tracecontext', 'baggage'], inject: ['tracecontext', 'baggage'] } } },
  { name: 'OTEL_PROPAGATORS=none', env: { OTEL_PROPAGATORS: 'none' }, expect: { propagators: { extract: [], inject: [] } } },
  { name: 'unsupported propagator dropped', env: { OTEL_PROPAGATORS: 'xray,B3' }, expect: { propagators: { extract: ['b3'], inject: ['b3'] } }, warnings: [/xray/] },
  // resource
  {
    name: 'service name: OTEL_SERVICE_NAME beats OTEL_RESOURCE_ATTRIBUTES',
    env: { OTEL_SERVICE_NAME: 'edge', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other,deployment.environment=prod' },
    expect: { serviceName: 'edge', resourceAttributes: { 'service.name': 'edge', 'deployment.environment': 'prod' } },
  },
  { name: 'service name from OTEL_RESOURCE_ATTRIBUTES', env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' }, expect: { serviceName: 'other' } },
  // batch
  { name: 'OTEL_BSP_* read', env: { OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_SCHEDULE_DELAY: '50' }, expect: { batch: { maxQueueSize: 100, scheduledDelayMs: 50 } } },
  { name: 'invalid OTEL_BSP_* → default with warning', env: { OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }, expect: { batch: { maxQueueSize: 2048 } }, warnings: [/OTEL_BSP_MAX_QUEUE_SIZE/] },
  // Envoy
  { name: 'Envoy block with no fields: 100% everywhere, client tracing on', envoy: {}, expect: { sampler: { ratio: 1, parentBased: true, clientRatio: 1 } } },
  { name: 'Envoy random_sampling replaces the env root and is parent-based', env: { OTEL_TRACES_SAMPLER: 'always_on' }, envoy: { random_sampling: { value: 10 } }, expect: { sampler: { ratio: 0.1, parentBased: true, clientRatio: 1 } } },
  { name: 'Envoy overall_sampling caps random and client', envoy: { random_sampling: { value: 10 }, overall_sampling: { value: 50 }, client_sampling: { value: 40 } }, expect: { sampler: { ratio: 0.05, clientRatio: 0.2 } } },
  { name: 'Envoy without random_sampling keeps the env sampler', env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.2' }, envoy: { overall_sampling: 50 }, expect: { sampler: { ratio: 0.1, parentBased: false, clientRatio: 0.5 } } },
  { name: 'Envoy percent out of range ignored', envoy: { random_sampling: { value: 150 } }, expect: { sampler: { ratio: 1 } }, warnings: [/tracing.random_sampling/] },
  { name: 'Envoy Percent with no value is 0 (proto3 default)', envoy: { random_sampling: {} }, expect: { sampler: { ratio: 0, parentBased: true } } },
  {
    name: 'Envoy OpenTelemetry provider: http_service and service_name win over env',
    env: { ...EP, OTEL_SERVICE_NAME: 'env-name' },
    envoy: {
      provider: {
        name: 'envoy.tracers.opentelemetry',
        typed_config: { service_name: 'edge-gw', http_service: { http_uri: { uri: 'http://otel:4318/v1/traces' } } },
      },
    },
    expect: { serviceName: 'edge-gw', exporter: { protocol: 'http/protobuf', url: 'http://otel:4318/v1/traces' } },
  },
  {
    name: 'Envoy provider google_grpc target',
    envoy: { provider: { typed_config: { grpc_service: { google_grpc: { target_uri: 'otel:4317' } } } } },
    expect: { enabled: true, exporter: { protocol: 'grpc', url: 'http://otel:4317' } },
  },
  {
    name: 'Envoy provider envoy_grpc cluster resolved by the caller',
    envoy: { provider: { typed_config: { grpc_service: { envoy_grpc: { cluster_name: 'otel' } } } } },
    options: { resolveCluster: (c) => (c === 'otel' ? 'http://10.0.0.5:4317' : undefined) },
    expect: { exporter: { protocol: 'grpc', url: 'http://10.0.0.5:4317' } },
  },
  {
    name: 'Envoy provider cluster not resolvable: env endpoint used',
    env: EP,
    envoy: { provider: { typed_config: { grpc_service: { envoy_grpc: { cluster_name: 'otel' } } } } },
    expect: { exporter: { url: 'http://collector:4318/v1/traces' } },
    warnings: [/cluster 'otel'/],
  },
  { name: 'non-OpenTelemetry provider ignored', env: EP, envoy: { provider: { name: 'envoy.tracers.zipkin' } }, expect: { enabled: true }, warnings: [/only envoy.tracers.opentelemetry/] },
  {
    name: 'Envoy custom tags',
    env: { POD_ZONE: 'eu-1' },
    envoy: {
      custom_tags: [
        { tag: 'team', literal: { value: 'edge' } },
        { tag: 'zone', environment: { name: 'POD_ZONE' } },
        { tag: 'rack', environment: { name: 'NO_SUCH_VAR', default_value: 'r0' } },
        { tag: 'gone', environment: { name: 'NO_SUCH_VAR' } },
        { tag: 'tenant', request_header: { name: 'X-Tenant', default_value: 'none' } },
        { tag: 'meta', metadata: { kind: { request: {} } } },
        { tag: 'broken', request_header: {} as { name: string } },
      ],
    },
    expect: {
      customTags: [
        { tag: 'team', kind: 'literal', value: 'edge' },
        { tag: 'zone', kind: 'literal', value: 'eu-1' },
        { tag: 'rack', kind: 'literal', value: 'r0' },
        { tag: 'tenant', kind: 'request_header', header: 'x-tenant', defaultValue: 'none' },
      ],
    },
    warnings: [/custom_tags\[5\]: only literal/, /custom_tags\[6\]: request_header.name is required/],
  },
];

for (const row of rows) {
  t.test(row.name, async (t) => {
    const settings = resolveTracingSettings(row.env ?? {}, row.envoy, row.options);
    t.match(settings, row.expect);
    if (row.name === 'Envoy custom tags') t.equal(settings.customTags.length, 4, 'a tag with no value is left out');
    const expected = row.warnings ?? [];
    t.equal(settings.warnings.length, expected.length, `warnings: ${JSON.stringify(settings.warnings)}`);
    expected.forEach((re, i) => t.match(settings.warnings[i], re));
  });
}

t.test('pure: the environment object is only read', async (t) => {
  const env = Object.freeze({ ...EP, OTEL_SERVICE_NAME: 'x' });
  const a = resolveTracingSettings(env);
  const b = resolveTracingSettings(env);
  t.same(a, b);
});

t.test('configuration warnings are logged once by the tracer', async (t) => {
  const { GatewayTracer } = await import('../../src/telemetry');
  const warned: string[] = [];
  const logger = { warn: (_o: object, m?: string) => warned.push(m ?? ''), error: () => undefined, debug: () => undefined };
  const tracer = new GatewayTracer(resolveTracingSettings({ OTEL_TRACES_SAMPLER: 'nope' }), { logger });
  t.same(warned, ["tracing: OTEL_TRACES_SAMPLER: 'nope' is not supported, using parentbased_always_on"]);
  await tracer.shutdown();
});

/**
 * Shared setup for the telemetry tests: a GatewayTracer wired to a real OTLP receiver, torn down with
 * the test. Not a test file itself (tap only runs *.test.ts).
 */
import type { Test } from 'tap';
import { GatewayTracer, resolveTracingSettings } from '../../src/telemetry';
import type { OtlpProtocol, TelemetryLogger } from '../../src/telemetry';
import type { StatsStore } from '../../src/telemetry/stats-store';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver';

export const SERVER_INFO = {
  method: 'GET',
  path: '/api/items?token=secret',
  host: 'shop.example.com:8080',
  scheme: 'http',
  peerAddress: '10.1.2.3',
  requestId: '6c1f1f0c-5b7a-4f0e-9a53-1d2a3b4c5d6e',
};

export interface LogLine {
  level: 'warn' | 'error' | 'debug';
  obj: object;
  msg?: string;
}

export function recordingLogger(lines: LogLine[]): TelemetryLogger {
  return {
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
    debug: (obj, msg) => lines.push({ level: 'debug', obj, msg }),
  };
}

export async function receiverFor(t: Test): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.close());
  return receiver;
}

export function tracerFor(
  t: Test,
  receiver: OtlpReceiver | { httpUrl: string; grpcUrl: string },
  protocol: OtlpProtocol = 'http/protobuf',
  env: Record<string, string> = {},
  logger?: TelemetryLogger,
  stats?: StatsStore,
): GatewayTracer {
  const settings = resolveTracingSettings({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
    OTEL_BSP_SCHEDULE_DELAY: '20',
    ...env,
  });
  const tracer = new GatewayTracer(settings, { logger, stats });
  t.teardown(() => tracer.shutdown(1000));
  return tracer;
}

/** Polls until cond() holds (export callbacks land a moment after the receiver has the spans). */
export { until } from '../helpers/http';

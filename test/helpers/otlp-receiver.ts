/**
 * A real OTLP trace receiver for tests: OTLP/HTTP (POST /v1/traces, application/x-protobuf) and
 * OTLP/gRPC (opentelemetry.proto.collector.trace.v1.TraceService/Export), both on 127.0.0.1 port 0.
 * Requests are decoded with the subset protos in test/fixtures/otlp (loaded by @grpc/proto-loader, whose
 * request deserializer also decodes the HTTP bodies — no extra protobuf dependency), and every span is
 * kept as a plain object with hex ids and flattened attributes.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { EventEmitter, once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span */
  parentSpanId: string;
  name: string;
  /** 'SERVER' | 'CLIENT' | 'INTERNAL' | 'PRODUCER' | 'CONSUMER' | 'UNSPECIFIED' */
  kind: string;
  attributes: Record<string, AttrValue>;
  /** code: 'UNSET' | 'OK' | 'ERROR' */
  status: { code: string; message: string };
  resource: Record<string, AttrValue>;
  scope: string;
  transport: 'http' | 'grpc';
}

export interface OtlpReceiver {
  /** full OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces */
  readonly httpUrl: string;
  /** OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317 */
  readonly grpcUrl: string;
  readonly spans: ReceivedSpan[];
  readonly exportRequests: { http: number; grpc: number };
  /** The next n export requests (either transport) are refused: HTTP 500 / gRPC PERMISSION_DENIED. */
  failNextExports(n: number): void;
  /** Resolves once at least n spans arrived; rejects after timeoutMs listing what did arrive. */
  waitForSpans(n: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  clear(): void;
  close(): Promise<void>;
}

const PROTO_DIR = path.join(__dirname, '..', 'fixtures', 'otlp');
const SERVICE = 'opentelemetry.proto.collector.trace.v1.TraceService';

interface Decoded {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: RawSpan[] }>;
  }>;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface AnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: Buffer;
}
interface RawSpan {
  traceId?: Buffer;
  spanId?: Buffer;
  parentSpanId?: Buffer;
  name?: string;
  kind?: string;
  attributes?: KeyValue[];
  status?: { code?: string; message?: string };
}

function loadService(): { definition: grpc.ServiceDefinition; decode: (buf: Buffer) => Decoded } {
  const pkg = protoLoader.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    oneofs: true,
  });
  const definition = pkg[SERVICE] as grpc.ServiceDefinition;
  const decode = (buf: Buffer): Decoded => definition.Export.requestDeserialize(buf) as Decoded;
  return { definition, decode };
}

function flattenValue(v: AnyValue | undefined): AttrValue {
  if (!v || !v.value) return null;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue':
      return Number(v.intValue);
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(flattenValue);
    case 'kvlistValue':
      return flattenAttributes(v.kvlistValue?.values);
    case 'bytesValue':
      return v.bytesValue?.toString('hex') ?? '';
    default:
      return null;
  }
}

function flattenAttributes(kvs: KeyValue[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of kvs ?? []) out[kv.key] = flattenValue(kv.value);
  return out;
}

const hex = (b: Buffer | undefined): string => (b && b.length > 0 ? b.toString('hex') : '');

function toSpans(req: Decoded, transport: 'http' | 'grpc'): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = flattenAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name ?? '',
          kind: (s.kind ?? 'SPAN_KIND_UNSPECIFIED').replace('SPAN_KIND_', ''),
          attributes: flattenAttributes(s.attributes),
          status: {
            code: (s.status?.code ?? 'STATUS_CODE_UNSET').replace('STATUS_CODE_', ''),
            message: s.status?.message ?? '',
          },
          resource,
          scope: ss.scope?.name ?? '',
          transport,
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const { definition, decode } = loadService();
  const spans: ReceivedSpan[] = [];
  const exportRequests = { http: 0, grpc: 0 };
  const arrivals = new EventEmitter();
  let failures = 0;
  const shouldFail = (): boolean => failures > 0 && failures-- > 0;
  const record = (req: Decoded, transport: 'http' | 'grpc'): void => {
    spans.push(...toSpans(req, transport));
    arrivals.emit('spans');
  };

  const httpServer = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      exportRequests.http++;
      if (shouldFail()) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('refused by test');
        return;
      }
      try {
        record(decode(Buffer.concat(chunks)), 'http');
        // An empty ExportTraceServiceResponse encodes to zero bytes.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
      }
    });
  });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  const httpPort = (httpServer.address() as AddressInfo).port;

  const grpcServer = new grpc.Server();
  grpcServer.addService(definition, {
    Export: (call: grpc.ServerUnaryCall<Decoded, object>, callback: grpc.sendUnaryData<object>) => {
      exportRequests.grpc++;
      if (shouldFail()) {
        callback({ code: grpc.status.PERMISSION_DENIED, details: 'refused by test' });
        return;
      }
      record(call.request, 'grpc');
      callback(null, {});
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) => {
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    );
  });

  return {
    httpUrl: `http://127.0.0.1:${httpPort}/v1/traces`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    spans,
    exportRequests,
    failNextExports(n: number): void {
      failures = n;
    },
    waitForSpans(n: number, timeoutMs = 5000): Promise<ReceivedSpan[]> {
      if (spans.length >= n) return Promise.resolve(spans.slice());
      return new Promise((resolve, reject) => {
        const onSpans = (): void => {
          if (spans.length < n) return;
          clearTimeout(timer);
          arrivals.off('spans', onSpans);
          resolve(spans.slice());
        };
        const timer = setTimeout(() => {
          arrivals.off('spans', onSpans);
          const names = spans.map((s) => s.name).join(', ');
          reject(new Error(`expected ${n} spans within ${timeoutMs} ms, got ${spans.length}: [${names}]`));
        }, timeoutMs);
        arrivals.on('spans', onSpans);
      });
    },
    clear(): void {
      spans.length = 0;
    },
    async close(): Promise<void> {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
    },
  };
}

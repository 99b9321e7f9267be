/**
 * Loads our push API (protos/shadowgate/control/v1/control.proto) for grpc-js servers and clients.
 * Like the Envoy protos (src/xds/protos.ts): snake_case names, int64 as strings, enums as names. Unlike
 * them, defaults are filled in (empty lists, "" and false rather than absent fields), so
 * `--output json` always has the same shape for scripts: `"gateways": []`, not a missing key.
 */
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protosDir } from '../xds/protos';

/** Trailing metadata of a refused Push/Rollback: {problems, warnings} as JSON, for clients that want them structured. */
export const PROBLEMS_METADATA_KEY = 'shadowgate-problems-bin';

const CONTROL_PROTO = 'shadowgate/control/v1/control.proto';

export interface ControlService {
  definition: grpc.ServiceDefinition;
  Client: grpc.ServiceClientConstructor;
}

let cached: ControlService | undefined;

export function controlService(): ControlService {
  if (cached) return cached;
  const dir = protosDir();
  const def = protoLoader.loadSync(path.join(dir, CONTROL_PROTO), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: true,
    includeDirs: [dir],
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { shadowgate: { control: { v1: { ControlPlane: grpc.ServiceClientConstructor } } } };
  const Client = pkg.shadowgate.control.v1.ControlPlane;
  cached = { definition: Client.service, Client };
  return cached;
}

export interface TimestampMessage {
  seconds: string;
  nanos: number;
}

export function toTimestamp(d: Date): TimestampMessage {
  const ms = d.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

export function fromTimestamp(t: TimestampMessage | undefined | null): Date | undefined {
  if (!t) return undefined;
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000));
}

/**
 * Loads the Envoy v3 subset in `protos/` once and hands it out in the two shapes we need:
 *
 * - a protobufjs Root, for the Any codec (resources inside DiscoveryResponse are Any bytes);
 * - a @grpc/proto-loader PackageDefinition, for grpc-js clients and servers of the ADS service.
 *
 * The .proto files are parsed once into the Root; the package definition is built from that Root's
 * JSON form (`protoLoader.fromJSON`), so both views agree on every field number.
 */
import { PACKAGE_ROOT } from '../package-root';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';

/** Entry files; their imports are resolved inside `protos/`. google/protobuf/* come bundled with protobufjs. */
export const ENVOY_PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
  'envoy/admin/v3/config_dump.proto',
  'envoy/admin/v3/config_dump_shared.proto',
  'xds/type/v3/typed_struct.proto',
];

/**
 * Options for the objects grpc-js hands us (DiscoveryRequest/Response and friends).
 * - keepCase: field names as in the .proto and in Envoy YAML (`version_info`, `type_url`).
 * - longs: String — int64/uint64 never lose precision, and proto3 JSON writes them as strings too.
 * - enums: String — names, as Envoy YAML writes them.
 * - defaults: false — unset fields stay absent, so "unset" and "zero" remain distinguishable.
 * - oneofs: true — adds a virtual property naming the member that is set.
 * - bytes: left at the default, Buffer, so Any.value arrives as a Buffer for the Any codec.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

export const ADS_SERVICE_NAME = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

let cachedRoot: protobuf.Root | undefined;
let cachedPackageDefinition: protoLoader.PackageDefinition | undefined;
let cachedProtosDir: string | undefined;

/**
 * Absolute path of `protos/` in the package root (found from src/ under ts-node and from dist/ alike).
 */
export function protosDir(): string {
  if (cachedProtosDir) return cachedProtosDir;
  const candidate = path.join(PACKAGE_ROOT, 'protos');
  if (!fs.existsSync(candidate)) throw new Error(`protos/ directory not found in ${PACKAGE_ROOT}`);
  cachedProtosDir = candidate;
  return candidate;
}

/** The protobufjs Root holding every loaded type (snake_case field names). */
export function protoRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const dir = protosDir();
  const root = new protobuf.Root();
  // Imports are written relative to protos/ ("envoy/config/core/v3/base.proto").
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(ENVOY_PROTO_FILES.map((f) => path.join(dir, f)), { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

/** Looks up a message type by full name ("envoy.config.cluster.v3.Cluster"); null when absent. */
export function findType(fullName: string): protobuf.Type | null {
  const found = protoRoot().lookup(fullName.replace(/^\./, ''));
  return found instanceof protobuf.Type ? found : null;
}

/** Like findType, but throws an error naming the type when it is not in our proto set. */
export function lookupType(fullName: string): protobuf.Type {
  const type = findType(fullName);
  if (!type) throw new Error(`protobuf type ${fullName} is not in shadowgate's proto set`);
  return type;
}

/** The proto-loader package definition of everything in ENVOY_PROTO_FILES. */
export function packageDefinition(): protoLoader.PackageDefinition {
  if (!cachedPackageDefinition) {
    cachedPackageDefinition = protoLoader.fromJSON(protoRoot().toJSON(), PROTO_LOADER_OPTIONS);
  }
  return cachedPackageDefinition;
}

export interface AdsService {
  /** Pass to `server.addService(definition, handlers)`. */
  definition: grpc.ServiceDefinition;
  /** `new Client(target, credentials)` gives `.StreamAggregatedResources()` / `.DeltaAggregatedResources()`. */
  Client: grpc.ServiceClientConstructor;
}

let cachedAds: AdsService | undefined;

/** The AggregatedDiscoveryService, ready for a grpc-js client and a grpc-js server. */
export function adsService(): AdsService {
  if (cachedAds) return cachedAds;
  const pkg = grpc.loadPackageDefinition(packageDefinition());
  const Client = lookupGrpc(pkg, ADS_SERVICE_NAME) as grpc.ServiceClientConstructor;
  if (typeof Client !== 'function' || !Client.service) {
    throw new Error(`${ADS_SERVICE_NAME} is missing from the package definition`);
  }
  cachedAds = { definition: Client.service, Client };
  return cachedAds;
}

function lookupGrpc(obj: grpc.GrpcObject, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    cur = (cur as Record<string, unknown> | undefined)?.[part];
  }
  return cur;
}

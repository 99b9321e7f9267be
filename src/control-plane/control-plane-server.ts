/**
 * The control plane: one gRPC server, one port, two services — Envoy's AggregatedDiscoveryService
 * (SotW and Delta, no token: any xDS client) and shadowgate.control.v1.ControlPlane (bearer token).
 * TLS when a certificate is given; with a client CA, every connection must present a certificate
 * signed by it (mutual TLS for gateways and operators alike).
 */
import * as fsp from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { adsService } from '../xds/protos';
import { VERSION } from '../version';
import { BearerAuth, resolveToken } from './auth';
import { controlHandlers } from './control-service';
import { controlService } from './control-proto';
import { GatewayRegistry } from './gateway-registry';
import { SnapshotStore, StoreOptions } from './snapshot-store';
import { SotwSession } from './sotw-session';
import { DeltaSession } from './delta-session';
import { AdsSession, SessionDeps } from './ads-session';

/** Push documents of 10,000 routes are a few MB; gRPC's 4 MiB default receive limit is too small. */
export const MAX_RECEIVE_MESSAGE_BYTES = 256 * 1024 * 1024;
const SHUTDOWN_GRACE_MS = 2_000;

export interface TlsFiles {
  cert: string;
  key: string;
  clientCa?: string;
}

export interface ControlPlaneOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  dataDir: string;
  logger: Logger;
  token?: string;
  tokenFile?: string;
  tls?: TlsFiles;
  store?: StoreOptions;
}

export interface ControlPlaneHandle {
  port: number;
  /** host:port actually bound. */
  address: string;
  store: SnapshotStore;
  registry: GatewayRegistry;
  token: string;
  tokenSource: string;
  tokenGenerated: boolean;
  close(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlaneHandle> {
  const { logger } = options;
  const store = await SnapshotStore.open(options.dataDir, options.store);
  const resolved = options.token
    ? { token: options.token, source: 'option', generated: false }
    : await resolveToken({ dataDir: options.dataDir, ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}) });
  const registry = new GatewayRegistry(store);
  const sessions = new Set<AdsSession<never>>();
  const deps: SessionDeps = { store, registry, logger, identifier: `shadowgate-control-plane/${VERSION}` };
  const track = (session: AdsSession<never>, call: grpc.ServerDuplexStream<unknown, unknown>): void => {
    sessions.add(session);
    call.on('close', () => sessions.delete(session));
    session.start();
  };

  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_send_message_length': -1,
  });
  server.addService(adsService().definition, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => track(new SotwSession(deps, call, 'SOTW') as AdsSession<never>, call),
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => track(new DeltaSession(deps, call, 'DELTA') as AdsSession<never>, call),
  });
  const control = controlHandlers({ store, registry, auth: new BearerAuth(resolved.token), logger });
  server.addService(controlService().definition, control.handlers);

  const credentials = await serverCredentials(options.tls);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, credentials, (err, bound) => (err ? reject(new Error(`control plane: cannot listen on ${options.listen}: ${err.message}`)) : resolve(bound)));
  });
  const host = options.listen.slice(0, options.listen.lastIndexOf(':'));
  logger.info({ address: `${host}:${port}`, version: store.version, tls: !!options.tls, mtls: !!options.tls?.clientCa, dataDir: options.dataDir }, 'control plane listening');
  if (resolved.generated) logger.info({ tokenFile: resolved.source }, `push API token generated and written to ${resolved.source} (mode 0600)`);
  else logger.info({ tokenSource: resolved.source }, 'push API token loaded');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const s of sessions) s.end();
      control.endWatches();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      registry.removeAllListeners();
      store.removeAllListeners();
    })();
    return closing;
  };
  return { port, address: `${host}:${port}`, store, registry, token: resolved.token, tokenSource: resolved.source, tokenGenerated: resolved.generated, close };
}

async function serverCredentials(tls: TlsFiles | undefined): Promise<grpc.ServerCredentials> {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const [cert, key, ca] = await Promise.all([fsp.readFile(tls.cert), fsp.readFile(tls.key), tls.clientCa ? fsp.readFile(tls.clientCa) : Promise.resolve(null)]);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}

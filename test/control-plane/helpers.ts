/**
 * Test helpers for the control plane: an in-process control plane on 127.0.0.1:0 with a temp data
 * dir, raw grpc-js ADS clients (SotW and Delta) that behave like a gateway or like a deliberately
 * odd client, a push API client, and small Envoy-shaped push documents.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { stringify } from 'yaml';
import { adsService } from '../../src/xds/protos';
import { ControlPlaneHandle, ControlPlaneOptions, startControlPlane } from '../../src/control-plane/control-plane-server';
import { ControlClient } from '../../src/cli/control-client';
import { decodeAny } from '../../src/xds/any-codec';
import { rdsListener } from '../helpers/gateway';

export const TOKEN = 'test-token-0123456789';
export { HCM_TYPE, ROUTER_TYPE } from '../helpers/gateway';

type Teardown = { teardown(fn: () => unknown): void };

export function tempDir(t: Teardown, prefix = 'sg-cp-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startCp(t: Teardown, options: Partial<ControlPlaneOptions> & { dataDir?: string } = {}): Promise<ControlPlaneHandle & { dataDir: string; tokenFile: string }> {
  const dataDir = options.dataDir ?? tempDir(t);
  const handle = await startControlPlane({ listen: '127.0.0.1:0', logger: pino({ level: process.env.SG_TEST_LOG ?? 'silent' }), token: TOKEN, ...options, dataDir });
  t.teardown(() => handle.close());
  const tokenFile = path.join(dataDir, 'test-token');
  fs.writeFileSync(tokenFile, `${options.token ?? TOKEN}\n`, { mode: 0o600 });
  return { ...handle, dataDir, tokenFile };
}

export async function client(t: Teardown, cp: { address: string; tokenFile: string }, tokenFile = cp.tokenFile): Promise<ControlClient> {
  const c = await ControlClient.connect({ server: cp.address, 'token-file': tokenFile });
  t.teardown(() => c.close());
  return c;
}

export async function pushDoc(c: ControlClient, doc: object, extra: object = {}): Promise<{ version: string; changed: boolean; warnings?: { path: string; message: string }[]; dry_run?: boolean }> {
  return c.call('Push', { full: { text: stringify(doc), source: 'test.yaml' }, ...extra });
}

// ---------------------------------------------------------------- config builders

export function listener(name: string, routeName: string, port = 0): object {
  return rdsListener(name, routeName, { port });
}

export function routeConfig(name: string, clusters: string[] | { name: string; weight: number }[], prefix = '/'): object {
  const action = typeof clusters[0] === 'string'
    ? { cluster: clusters[0] as string }
    : { weighted_clusters: { clusters } };
  return { name, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix }, route: action }] }] };
}

export function edsCluster(name: string): object {
  return { name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } };
}

export function staticCluster(name: string, port: number): object {
  return {
    name, type: 'STATIC', connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  };
}

export function cla(cluster: string, ports: number[]): object {
  return { cluster_name: cluster, endpoints: [{ lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })) }] };
}

/** listener "ingress" → RDS "main" → cluster(s) over EDS. */
export function sampleConfig(opts: { clusters?: string[]; route?: string; port?: number } = {}): { listeners: object[]; routes: object[]; clusters: object[]; endpoints: object[] } {
  const clusters = opts.clusters ?? ['v1'];
  return {
    listeners: [listener('ingress', 'main', opts.port ?? 0)],
    routes: [routeConfig('main', [opts.route ?? clusters[0]])],
    clusters: clusters.map(edsCluster),
    endpoints: clusters.map((c, i) => cla(c, [9000 + i])),
  };
}

// ---------------------------------------------------------------- raw ADS clients

export const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

export interface SotwResponse {
  version_info: string;
  resources: { type_url: string; value: Buffer }[];
  type_url: string;
  nonce: string;
}

export interface DeltaResponse {
  system_version_info: string;
  resources: { name: string; version: string; resource: { type_url: string; value: Buffer } }[];
  removed_resources?: string[];
  type_url: string;
  nonce: string;
}

/** A bidirectional ADS stream with a response queue; `next()` waits (bounded) for the next response. */
export class RawAds<Res extends { type_url: string; nonce: string }> {
  /** Every response, in arrival order. */
  readonly received: Res[] = [];
  /** Responses not yet returned by next(). */
  private unread: Res[] = [];
  private waiters: { pred: (r: Res) => boolean; resolve: (r: Res) => void }[] = [];
  readonly call: grpc.ClientDuplexStream<unknown, Res>;
  ended = false;

  constructor(readonly grpcClient: grpc.Client, method: 'StreamAggregatedResources' | 'DeltaAggregatedResources') {
    this.call = (grpcClient as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, Res>>)[method]();
    this.call.on('data', (r: Res) => {
      this.received.push(r);
      this.unread.push(r);
      this.flush();
    });
    this.call.on('error', () => {
      this.ended = true;
    });
    this.call.on('end', () => {
      this.ended = true;
    });
  }

  send(req: object): void {
    this.call.write(req);
  }

  /** The oldest unread response (optionally of a type); rejects after timeoutMs. */
  next(typeUrl?: string, timeoutMs = 5_000): Promise<Res> {
    const pred = (r: Res): boolean => !typeUrl || r.type_url === typeUrl;
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (r: Res): void => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${typeUrl ?? 'ADS'} response within ${timeoutMs} ms (received ${this.received.length})`));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.flush();
    });
  }

  /** True if no response arrives within ms (for "the server must stay silent" checks). */
  async silentFor(ms: number): Promise<boolean> {
    const before = this.received.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.received.length === before;
  }

  private flush(): void {
    for (const w of [...this.waiters]) {
      const i = this.unread.findIndex(w.pred);
      if (i < 0) continue;
      const [r] = this.unread.splice(i, 1);
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(r);
    }
  }

  close(): void {
    this.call.end();
    this.call.cancel();
    this.grpcClient.close();
  }
}

export function adsClient(address: string): grpc.Client {
  const { Client } = adsService();
  return new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.use_local_subchannel_pool': 1 });
}

export function sotw(t: Teardown, address: string): RawAds<SotwResponse> {
  const s = new RawAds<SotwResponse>(adsClient(address), 'StreamAggregatedResources');
  t.teardown(() => s.close());
  return s;
}

export function delta(t: Teardown, address: string): RawAds<DeltaResponse> {
  const s = new RawAds<DeltaResponse>(adsClient(address), 'DeltaAggregatedResources');
  t.teardown(() => s.close());
  return s;
}

export function node(id: string, cluster = ''): object {
  return { id, cluster, user_agent_name: 'raw-test-client' };
}

/** Resource names in a SotW response. */
export function names(res: SotwResponse): string[] {
  return (res.resources ?? []).map((a) => {
    const j = decodeAny(a);
    return String(j.name ?? j.cluster_name);
  });
}

/** Waits until `check` returns a truthy value, polling every 20 ms, at most timeoutMs. */
export async function until<T>(check: () => T | Promise<T>, timeoutMs = 5_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Shared set-up of the ADS behaviour tests: Envoy-shaped dynamic resources, a bootstrap with only
 * dynamic_resources (+ the static xds cluster), and a "world" of upstreams + ADS server + gateway.
 */
import { request } from 'undici';
import { startUpstream, TestUpstream } from '../helpers/upstream';
import { AdsMode, AdsTestServer, RecordedRequest, SentResponse, isNack, startAdsServer } from '../helpers/ads-test-server';
import { TestGateway, rdsListener, startGateway, staticCluster } from '../helpers/gateway';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL } from '../../src/xds/type-urls';

export const MODES: AdsMode[] = ['sotw', 'delta'];
export const LDS = LISTENER_TYPE_URL;
export const RDS = ROUTE_CONFIGURATION_TYPE_URL;
export const CDS = CLUSTER_TYPE_URL;
export const EDS = CLUSTER_LOAD_ASSIGNMENT_TYPE_URL;

const ADS_SOURCE = { ads: {}, resource_api_version: 'V3' };

export function adsBootstrap(adsPort: number, mode: AdsMode, opts: { nodeOnFirstOnly?: boolean; lds?: boolean; listeners?: object[]; initialMetadata?: object[] } = {}): object {
  return {
    node: { id: `gw-${mode}`, cluster: 'edge', metadata: { team: 'platform' } },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: { listeners: opts.listeners ?? [], clusters: [staticCluster('xds_cluster', [adsPort])] },
    dynamic_resources: {
      ads_config: {
        api_type: mode === 'sotw' ? 'GRPC' : 'DELTA_GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' }, ...(opts.initialMetadata ? { initial_metadata: opts.initialMetadata } : {}) }],
        ...(opts.nodeOnFirstOnly ? { set_node_on_first_message_only: true } : {}),
      },
      ...(opts.lds === false ? {} : { lds_config: ADS_SOURCE }),
      cds_config: ADS_SOURCE,
    },
  };
}

export { rdsListener };

export function edsCluster(name: string, extra: object = {}): object {
  return { name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: ADS_SOURCE }, ...extra };
}

export function cla(name: string, ports: number[]): object {
  return {
    cluster_name: name,
    endpoints: [{ lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })) }],
  };
}

export function routes(name: string, list: object[]): object {
  return { name, virtual_hosts: [{ name: 'vh', domains: ['*'], routes: list }] };
}

export function weighted(prefix: string, weights: Record<string, number>, extra: object = {}): object {
  return { match: { prefix }, route: { weighted_clusters: { clusters: Object.entries(weights).map(([name, weight]) => ({ name, weight })) }, ...extra } };
}

export function toCluster(prefix: string, cluster: string, extra: object = {}): object {
  return { match: { prefix }, route: { cluster, ...extra } };
}

export interface World {
  ads: AdsTestServer;
  gw: TestGateway;
  v1: TestUpstream;
  v2: TestUpstream;
  /** URL of the dynamic listener "ingress". */
  url(path?: string): string;
  close(): Promise<void>;
}

/** Upstreams v1/v2, an ADS server holding clusters v1/v2 (EDS), listener "ingress" → RDS "main" → v1, and the gateway. */
export async function startWorld(mode: AdsMode, opts: { nodeOnFirstOnly?: boolean; initialMetadata?: object[] } = {}): Promise<World> {
  const v1 = await startUpstream('v1');
  const v2 = await startUpstream('v2');
  const ads = await startAdsServer();
  ads.set(CDS, [edsCluster('v1'), edsCluster('v2')]);
  ads.set(EDS, [cla('v1', [v1.port]), cla('v2', [v2.port])]);
  ads.set(LDS, [rdsListener('ingress', 'main')]);
  ads.set(RDS, [routes('main', [toCluster('/', 'v1')])]);
  let gw: TestGateway | undefined;
  const close = async (): Promise<void> => {
    await gw?.close();
    await ads.close();
    await Promise.all([v1.close(), v2.close()]);
  };
  try {
    gw = await startGateway(adsBootstrap(ads.port, mode, opts));
  } catch (err) {
    await close();
    throw err;
  }
  const g = gw;
  return { ads, gw: g, v1, v2, url: (path = '/') => `http://127.0.0.1:${g.port('ingress')}${path}`, close };
}

/** Pushes a type's state and waits for the client's answer on the (single) stream. */
export async function pushAndWait(ads: AdsTestServer, typeUrl: string, resources: object[], version?: string): Promise<{ sent: SentResponse; reply: RecordedRequest }> {
  const sent = ads.set(typeUrl, resources, version);
  if (sent.length !== 1) throw new Error(`expected one stream to push to, got ${sent.length}`);
  const reply = await ads.waitForReply(sent[0]);
  return { sent: sent[0], reply };
}

export { isNack };

/** Waits until the client has asked for `name` of a named type (RDS/EDS), in either protocol. */
export function waitForSubscription(ads: AdsTestServer, typeUrl: string, name: string): Promise<RecordedRequest> {
  return ads.waitForRequest((q) => q.typeUrl === typeUrl && [...(q.msg.resource_names ?? []), ...(q.msg.resource_names_subscribe ?? [])].includes(name));
}

/** GET through the gateway; returns status and the x-upstream header (which upstream answered). */
export async function hit(url: string, headers: Record<string, string> = {}): Promise<{ status: number; upstream: string }> {
  const res = await request(url, { headers });
  await res.body.dump();
  return { status: res.statusCode, upstream: String(res.headers['x-upstream'] ?? '') };
}

/** Polls `check` until it returns a value, at most `timeoutMs`; every attempt is bounded by the loop. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs = 3000, intervalMs = 5): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** One stat's value from the admin /stats text. */
export async function stat(adminUrl: string, name: string): Promise<number | undefined> {
  const res = await request(`${adminUrl}/stats`);
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
  return line === undefined ? undefined : Number(line.slice(name.length + 2));
}

export async function configDump(adminUrl: string): Promise<Record<string, any>[]> {
  const res = await request(`${adminUrl}/config_dump`);
  return ((await res.body.json()) as { configs: Record<string, any>[] }).configs;
}

/**
 * Starts the xDS client for a bootstrap with dynamic_resources.ads_config: the management server is
 * the first endpoint of the static cluster ads_config names (envoy_grpc.cluster_name). Start-up waits
 * for the first LDS/CDS answers and for warming, as Envoy's init manager does, bounded by the initial
 * fetch timeout; the admin server is already up meanwhile.
 */
import type { Logger } from 'pino';
import { BootstrapModel } from '../config/bootstrap';
import { ConfigError } from '../config/problems';
import { AdsClient } from './ads-client';
import { XdsConfigUpdater } from './xds-updater';
import type { Gateway } from '../gateway/gateway';
import { buildNodeMessage } from './xds-node';
import { JitteredBackoff } from './xds-backoff';

export interface XdsHandle {
  client: AdsClient;
  updater: XdsConfigUpdater;
  stop(): Promise<void>;
}

export interface XdsStartOptions {
  initTimeoutMs?: number;
  backoff?: JitteredBackoff;
}

/** `host:port` of a static cluster's first endpoint (its DNS name if it has one, IPv6 in brackets). */
export function staticClusterAddress(bootstrap: BootstrapModel, name: string): string | undefined {
  const endpoint = bootstrap.staticSnapshot.clusters.get(name)?.endpoints[0];
  if (!endpoint) return undefined;
  const host = endpoint.hostname ?? endpoint.host;
  return `${host.includes(':') ? `[${host}]` : host}:${endpoint.port}`;
}

export function adsTarget(bootstrap: BootstrapModel): string {
  const name = bootstrap.ads?.clusterName ?? '';
  const address = staticClusterAddress(bootstrap, name);
  if (address === undefined) {
    throw new ConfigError([{ path: 'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name', message: `static cluster "${name}" has no endpoint to reach the management server at` }]);
  }
  return address;
}

/**
 * ads_config.grpc_services[0].initial_metadata (HeaderValue list): sent with the stream, e.g. a token
 * a management server expects. The bootstrap reader accepts the field; it is read here from the document.
 */
export function adsInitialMetadata(bootstrap: BootstrapModel): [string, string][] {
  const dyn = bootstrap.raw.dynamic_resources as { ads_config?: { grpc_services?: { initial_metadata?: unknown }[] } } | undefined;
  const list = dyn?.ads_config?.grpc_services?.[0]?.initial_metadata;
  if (!Array.isArray(list)) return [];
  return list.flatMap((h: { key?: unknown; value?: unknown }) => (typeof h?.key === 'string' && h.key !== '' ? [[h.key.toLowerCase(), typeof h.value === 'string' ? h.value : '']] : []));
}

export async function startXds(gateway: Gateway, bootstrap: BootstrapModel, logger: Logger, options: XdsStartOptions = {}): Promise<XdsHandle> {
  const ads = bootstrap.ads;
  if (!ads) throw new ConfigError([{ path: 'dynamic_resources.ads_config', message: 'is required for the xDS client' }]);
  const log = logger.child({ component: 'xds' });
  const target = adsTarget(bootstrap);
  const updater = new XdsConfigUpdater({
    gateway,
    staticSnapshot: bootstrap.staticSnapshot,
    ldsOverAds: bootstrap.ldsOverAds,
    cdsOverAds: bootstrap.cdsOverAds,
    log,
    ...(options.initTimeoutMs !== undefined ? { initTimeoutMs: options.initTimeoutMs } : {}),
  });
  const client = new AdsClient({
    target,
    protocol: ads.apiType === 'DELTA_GRPC' ? 'delta' : 'sotw',
    node: buildNodeMessage(bootstrap.node),
    nodeOnFirstMessageOnly: ads.setNodeOnFirstMessageOnly,
    initialMetadata: adsInitialMetadata(bootstrap),
    updater,
    stats: gateway.stats,
    log,
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  // Envoy stays INITIALIZING (/ready 503) until the initial xDS fetch completes or times out.
  gateway.holdInitialization = true;
  if (gateway.state === 'LIVE') gateway.state = 'INITIALIZING';
  client.start();
  await updater.initialized;
  gateway.holdInitialization = false;
  if (gateway.state === 'INITIALIZING') gateway.state = 'LIVE';
  return {
    client,
    updater,
    stop: async () => {
      client.stop();
      updater.close();
      await updater.idle();
    },
  };
}

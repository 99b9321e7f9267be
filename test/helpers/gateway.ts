/**
 * Starts a real gateway in-process from an Envoy bootstrap object (listeners on port 0 are given a
 * free port by the OS) and returns its ports. Builders below keep test configs short but Envoy-shaped.
 */
import { stringify } from 'yaml';
import pino from 'pino';
import { ProxyHandle, startProxy } from '../../src/cli/proxy';
import type { RandomSource } from '../../src/routing/route-table';
import type { ShadowOptionsInput } from '../../src/mirror/shadow-options';

export interface TestGateway {
  handle: ProxyHandle;
  /** Base URL of the first listener, e.g. http://127.0.0.1:12345 */
  url: string;
  port(listener?: string): number;
  adminUrl: string;
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  random?: RandomSource;
  env?: Record<string, string | undefined>;
  shadow?: ShadowOptionsInput;
}

export async function startGateway(bootstrap: object, options: StartGatewayOptions = {}): Promise<TestGateway> {
  const handle = await startProxy({ configYaml: stringify(bootstrap), logger: pino({ level: process.env.SG_TEST_LOG ?? 'silent' }), ...options });
  const first = [...handle.gateway.current.listeners.keys()][0];
  const port = (name = first) => handle.gateway.listenerPort(name) ?? 0;
  return {
    handle,
    url: `http://127.0.0.1:${port()}`,
    port,
    adminUrl: handle.admin ? `http://127.0.0.1:${handle.admin.port}` : '',
    close: () => handle.close(),
  };
}

import { HCM_TYPE, ROUTER_TYPE } from '../../src/config/type-urls';

export { HCM_TYPE, ROUTER_TYPE };

/** A STATIC cluster pointing at local ports. */
export function staticCluster(name: string, ports: number[], extra: object = {}): object {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })) }],
    },
    ...extra,
  };
}

/** A listener on 127.0.0.1:0 with an HCM carrying `routeConfig` inline (or RDS if hcmExtra says so). */
export function httpListener(name: string, routeConfig: object | undefined, hcmExtra: object = {}, port = 0): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': HCM_TYPE,
          stat_prefix: name,
          ...(routeConfig ? { route_config: routeConfig } : {}),
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
          ...hcmExtra,
        },
      }],
    }],
  };
}

/** A bootstrap with an admin listener on port 0 and the given static resources. */
export function bootstrapWith(listeners: object[], clusters: object[], extra: object = {}): object {
  return {
    node: { id: 'test-node', cluster: 'test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: { listeners, clusters },
    ...extra,
  };
}

/** Shortest useful route config: one virtual host "*" with the given routes. */
export function routeConfig(routes: object[], extra: object = {}, domains: string[] = ['*']): object {
  return { name: 'local_route', virtual_hosts: [{ name: 'vh', domains, routes }], ...extra };
}

/** A listener whose HCM takes its routes over RDS (ADS), optionally with filters before the router. */
export function rdsListener(name: string, routeName: string, extra: { port?: number; initialFetchTimeout?: string; filters?: object[] } = {}): object {
  const configSource = { ads: {}, resource_api_version: 'V3', ...(extra.initialFetchTimeout ? { initial_fetch_timeout: extra.initialFetchTimeout } : {}) };
  return httpListener(name, undefined, {
    rds: { route_config_name: routeName, config_source: configSource },
    http_filters: [...(extra.filters ?? []), { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
  }, extra.port ?? 0);
}

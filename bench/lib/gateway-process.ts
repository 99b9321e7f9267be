/**
 * A shadowgate gateway as a child process for benchmarks (`shadowgate proxy -c <tmp bootstrap>`), so
 * its CPU and RSS are its own and not the load generator's.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROXY_NODE_ARGS, freePort, spawnNode, waitForHttp } from './process';
import { HCM_TYPE, ROUTER_TYPE } from '../../src/config/type-urls';

export interface RunningGateway {
  name: string;
  child: ChildProcess;
  url: string;
  adminUrl: string;
}

export function staticCluster(name: string, port: number): object {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  };
}

/** One listener, one virtual host "*", one `prefix: /` route with the given RouteAction. */
export function benchBootstrap(listenerPort: number, adminPort: number, upstreams: Record<string, number>, routeAction: object, hcmExtra: object = {}): object {
  return {
    node: { id: 'bench', cluster: 'bench' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    static_resources: {
      listeners: [{
        name: 'ingress',
        address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
        filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: {
          '@type': HCM_TYPE,
          stat_prefix: 'ingress',
          route_config: { name: 'bench', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: routeAction }] }] },
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
          ...hcmExtra,
        } }] }],
      }],
      clusters: Object.entries(upstreams).map(([name, port]) => staticCluster(name, port)),
    },
  };
}

/** Writes the bootstrap to `dir`, starts the gateway, resolves once /ready says LIVE. */
export async function startGatewayProcess(name: string, dir: string, build: (listenerPort: number, adminPort: number) => object, env?: NodeJS.ProcessEnv): Promise<RunningGateway> {
  const [listenerPort, adminPort] = [await freePort(), await freePort()];
  const file = path.join(dir, `bootstrap-${name}.json`);
  writeFileSync(file, JSON.stringify(build(listenerPort, adminPort)));
  const child = spawnNode(path.join(__dirname, '../../src/cli/main.js'), ['proxy', '-c', file, '-l', 'error'], { nodeArgs: PROXY_NODE_ARGS, ...(env ? { env } : {}) });
  child.stderr!.on('data', (c: Buffer) => process.stderr.write(`[gateway ${name}] ${c.toString()}`));
  child.stdout!.resume();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitForHttp(`${adminUrl}/ready`, 10_000, 'LIVE');
  return { name, child, url: `http://127.0.0.1:${listenerPort}`, adminUrl };
}

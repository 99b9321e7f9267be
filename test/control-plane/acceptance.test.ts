/**
 * Issue 5 acceptance, real processes on 127.0.0.1: the control plane as a child process, three
 * gateways (in-process, bootstrapped over ADS: two SotW, one Delta; groups edge and canary), and
 * every change made with the CLI.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { startUpstream } from '../helpers/upstream';
import { TestGateway, startGateway, staticCluster as gwStaticCluster } from '../helpers/gateway';
import { runCli, startCli } from './cli-runner';
import { cla, edsCluster, listener, routeConfig, tempDir, until } from './helpers';
import { LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL } from '../../src/xds/type-urls';

interface GatewayJson { node_id: string; group: string; protocol: string; state: string; synced_version: string; types: { type: string; acked_version: string; last_nack?: { message: string; version: string } }[] }

function bootstrap(id: string, group: string, cpPort: number, apiType: 'GRPC' | 'DELTA_GRPC'): object {
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: { id, cluster: group },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: { clusters: [gwStaticCluster('xds_cluster', [cpPort])] },
    dynamic_resources: {
      ads_config: { api_type: apiType, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }], set_node_on_first_message_only: true },
      lds_config: ads,
      cds_config: ads,
    },
  };
}

async function upstreamOf(gw: TestGateway): Promise<string> {
  const res = await request(`http://127.0.0.1:${gw.port('ingress')}/hello`);
  await res.body.dump();
  return `${res.statusCode} ${String(res.headers['x-upstream'] ?? '')}`;
}

t.test('control plane + three gateways: push, status, NACK, restart', async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, 'acceptance-token\n', { mode: 0o600 });
  const v1 = await startUpstream('v1');
  const v2 = await startUpstream('v2');
  t.teardown(() => Promise.all([v1.close(), v2.close()]));
  const config = (route: string, extraListeners: object[] = []) => ({
    listeners: [listener('ingress', 'main'), ...extraListeners],
    routes: [routeConfig('main', [route])],
    clusters: [edsCluster('v1'), edsCluster('v2')],
    endpoints: [cla('v1', [v1.port]), cla('v2', [v2.port])],
  });
  const file = (name: string, doc: object): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, stringify(doc));
    return p;
  };

  const startCp = (listen: string) => startCli(['control-plane', '--listen', listen, '--data-dir', dataDir, '--token-file', tokenFile], /"address":"(127\.0\.0\.1:(\d+))"[^\n]*control plane listening/);
  let cp = await startCp('127.0.0.1:0');
  t.teardown(() => cp.stop());
  const server = cp.match[1];
  const cpPort = Number(cp.match[2]);
  const cli = (...args: string[]) => runCli([...args, '--server', server, '--token-file', tokenFile]);
  const status = async (): Promise<{ version: string; gateways: GatewayJson[] }> => {
    const r = await cli('status', '-o', 'json');
    if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  const first = await cli('push', '-f', file('v1.yaml', config('v1')));
  t.equal(first.code, 0, first.stderr);

  const gateways = await Promise.all([
    startGateway(bootstrap('gw-1', 'edge', cpPort, 'GRPC')),
    startGateway(bootstrap('gw-2', 'edge', cpPort, 'DELTA_GRPC')),
    startGateway(bootstrap('gw-3', 'canary', cpPort, 'GRPC')),
  ]);
  t.teardown(() => Promise.all(gateways.map((g) => g.close())));
  for (const gw of gateways) t.equal(await upstreamOf(gw), '200 v1', 'serves version 1');

  // A change pushed with the CLI: --wait returns once all three ACKed, and all three serve it.
  const pushed = await cli('push', '-f', file('v2.yaml', config('v2')), '--wait', '--timeout', '20s');
  t.equal(pushed.code, 0, pushed.stderr);
  t.match(pushed.stdout, /version 2 accepted \(all gateways\)/);
  t.match(pushed.stdout, /3\/3 gateways \(all groups\) serve version 2/);
  for (const gw of gateways) t.equal(await upstreamOf(gw), '200 v2', 'serves version 2 by the time --wait returned');
  const s2 = await status();
  t.equal(s2.gateways.length, 3);
  t.same(s2.gateways.map((g) => [g.node_id, g.group, g.protocol, g.state, g.synced_version]).sort(), [
    ['gw-1', 'edge', 'SOTW', 'SYNCED', '2'],
    ['gw-2', 'edge', 'DELTA', 'SYNCED', '2'],
    ['gw-3', 'canary', 'SOTW', 'SYNCED', '2'],
  ]);
  const table = await cli('status');
  t.match(table.stdout, /gw-1\s+edge\s+SOTW\s+SYNCED\s+2/);

  // An invalid push is refused before any gateway sees it.
  const invalid = await cli('push', '-f', file('bad.yaml', { ...config('v2'), routes: [{ name: 'main', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { safe_regex: { regex: '(' } }, route: { cluster: 'v1' } }] }] }] }), '--wait');
  t.equal(invalid.code, 1);
  t.match(invalid.stderr, /configuration rejected/);
  t.equal((await status()).version, '2');

  // A push a gateway NACKs: the canary gateway cannot bind a listener on a port that is taken.
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const takenPort = (taken.address() as net.AddressInfo).port;
  const nack = await cli('push', '-f', file('canary.yaml', config('v2', [listener('extra', 'main', takenPort)])), '--group', 'canary', '--wait', '--timeout', '20s');
  t.equal(nack.code, 1, 'push --wait fails when a gateway NACKs');
  t.match(nack.stdout, /✗ gw-3: NACKed LDS version 3: .*address already in use/);
  t.match(nack.stderr, /1 of 1 gateways rejected version 3/);
  const s3 = await status();
  const gw3 = s3.gateways.find((g) => g.node_id === 'gw-3') as GatewayJson;
  t.equal(gw3.state, 'NACKED');
  t.match(gw3.types.find((x) => x.type === 'LDS')?.last_nack, { version: '3', message: /address already in use/ });
  t.same(s3.gateways.filter((g) => g.group === 'edge').map((g) => g.state), ['SYNCED', 'SYNCED'], 'the edge group was not targeted');
  t.equal(await upstreamOf(gateways[2]), '200 v2', 'the NACKing gateway keeps serving its last good config');
  t.match((await cli('status')).stdout, /gw-3 LDS rejected version 3 .*address already in use/);

  // Restart the control plane on the same port: same versions, gateways reconnect, no config change.
  const versionsBefore = gateways.map((g) => [g.handle.xds?.updater.versionInfo(LISTENER_TYPE_URL), g.handle.xds?.updater.versionInfo(ROUTE_CONFIGURATION_TYPE_URL)]);
  t.equal(await cp.stop(), 0);
  cp = await startCp(server);
  const s4 = await until(async () => {
    const s = await status();
    return s.gateways.length === 3 && s.gateways.every((g) => g.state !== 'PENDING' && g.state !== 'CONNECTING') ? s : undefined;
  }, 20_000, 'the three gateways to reconnect');
  t.equal(s4.version, '3', 'the restarted control plane serves the same version');
  t.same(s4.gateways.map((g) => [g.node_id, g.state]).sort(), [['gw-1', 'SYNCED'], ['gw-2', 'SYNCED'], ['gw-3', 'NACKED']], 'the canary gateway still cannot take version 3');
  t.same(gateways.map((g) => [g.handle.xds?.updater.versionInfo(LISTENER_TYPE_URL), g.handle.xds?.updater.versionInfo(ROUTE_CONFIGURATION_TYPE_URL)]), versionsBefore, 'no gateway changed version');
  for (const gw of gateways) t.equal(await upstreamOf(gw), '200 v2');
});

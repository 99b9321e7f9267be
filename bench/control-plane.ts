/**
 * Control-plane benchmark: time from Push (the gRPC call, as `shadowgate push` makes it) to every
 * connected client having ACKed the new version, for N = 1, 10, 50 clients, with a small config and
 * with 10,000 routes / 1,000 clusters; plus N = 1 real gateway (in-process shadowgate proxy that
 * decodes, validates and applies before it ACKs).
 *
 *   npm run build && node dist/bench/control-plane.js [--pushes 5] [--large-pushes 3] [--delta]
 *
 * Each push changes the route table (RDS) and one cluster's endpoints (EDS), so two resource types
 * are re-sent to every client: for SotW that is the whole RouteConfiguration each time, which is
 * what dominates at 10,000 routes. "push" is the Push RPC alone (parse, validate with src/config,
 * encode, fsync to the data dir); "all ACKed" runs from just before Push until the last client's ACK
 * was processed. Everything runs in one process on the same cores, clients included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startControlPlane, ControlPlaneHandle } from '../src/control-plane/control-plane-server';
import { GatewayStatusView } from '../src/control-plane/gateway-registry';
import { ControlClient } from '../src/cli/control-client';
import { startProxy } from '../src/cli/proxy';
import { BenchClient, startDeltaClient, startSotwClient } from './control-plane-clients';
import { median } from './lib/histogram';
import { HCM_TYPE, ROUTER_TYPE } from '../src/config/type-urls';
import { staticCluster } from './lib/gateway-process';

const ADS = { ads: {}, resource_api_version: 'V3' };
const SHAPES: Shape[] = [{ label: 'small (10 routes, 2 clusters)', routes: 10, clusters: 2 }, { label: '10,000 routes / 1,000 clusters', routes: 10_000, clusters: 1_000 }];
const SYNC_TIMEOUT_MS = 30_000;

interface Shape {
  label: string;
  routes: number;
  clusters: number;
}

/** One listener → RDS "main" with `routes` routes over 100 virtual hosts → `clusters` EDS clusters. */
function config(shape: Shape, generation: number): object {
  const vhosts = Math.max(1, Math.min(100, shape.routes));
  const perVhost = Math.ceil(shape.routes / vhosts);
  const clusterName = (i: number): string => `c${i % shape.clusters}`;
  return {
    listeners: [{
      name: 'ingress',
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM_TYPE, stat_prefix: 'ingress', rds: { route_config_name: 'main', config_source: ADS }, http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }] } }] }],
    }],
    routes: [{
      name: 'main',
      virtual_hosts: Array.from({ length: vhosts }, (_, v) => ({
        name: `vh${v}`,
        domains: [`svc${v}.example.com`],
        routes: Array.from({ length: perVhost }, (_, r) => {
          const i = v * perVhost + r;
          // The generation moves one route to another cluster: every push changes RDS.
          return { match: { prefix: `/p${i}/` }, route: { cluster: clusterName(i === 0 ? generation : i), timeout: '5s' } };
        }),
      })),
    }],
    clusters: Array.from({ length: shape.clusters }, (_, i) => ({ name: clusterName(i), type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: ADS } })),
    endpoints: Array.from({ length: shape.clusters }, (_, i) => ({
      cluster_name: clusterName(i),
      // The generation changes cluster c0's port: every push changes EDS.
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 20000 + (i === 0 ? generation % 1000 : i % 1000) } } } }] }],
    })),
  };
}

function allSynced(cp: ControlPlaneHandle, n: number, version: number): boolean {
  const list = cp.registry.list();
  return list.length >= n && list.every((g) => g.state === 'SYNCED' && Number(g.syncedVersion) >= version);
}

/** Resolves when every client is SYNCED at `version`, driven by registry events (no polling). */
function waitSynced(cp: ControlPlaneHandle, n: number, version: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (allSynced(cp, n, version)) return resolve();
    const timer = setTimeout(() => {
      cp.registry.off('gateway', on);
      reject(new Error(`clients not synced at version ${version} within ${SYNC_TIMEOUT_MS} ms: ${cp.registry.list().map((g: GatewayStatusView) => `${g.nodeId}=${g.state}`).join(' ')}`));
    }, SYNC_TIMEOUT_MS);
    const on = (): void => {
      if (!allSynced(cp, n, version)) return;
      clearTimeout(timer);
      cp.registry.off('gateway', on);
      resolve();
    };
    cp.registry.on('gateway', on);
  });
}

interface Figures {
  pushMs: number[];
  syncMs: number[];
}

async function measure(cp: ControlPlaneHandle, op: ControlClient, shape: Shape, n: number, pushes: number, generation: { value: number }): Promise<Figures> {
  const out: Figures = { pushMs: [], syncMs: [] };
  for (let i = 0; i < pushes; i++) {
    generation.value += 1;
    const text = JSON.stringify(config(shape, generation.value));
    const t0 = performance.now();
    const res = await op.call<{ version: string }>('Push', { full: { text, source: 'bench' } }, 120_000);
    const t1 = performance.now();
    await waitSynced(cp, n, Number(res.version));
    out.pushMs.push(t1 - t0);
    out.syncMs.push(performance.now() - t0);
  }
  return out;
}

function fmt(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pushes: { type: 'string', default: '5' }, 'large-pushes': { type: 'string', default: '3' }, delta: { type: 'boolean' } } });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sg-bench-cp-'));
  const logger = pino({ level: 'silent' });
  const cp = await startControlPlane({ listen: '127.0.0.1:0', dataDir, logger, token: 'bench' });
  process.env.SHADOWGATE_TOKEN = 'bench';
  const op = await ControlClient.connect({ server: cp.address });
  const rows: string[][] = [];
  const generation = { value: 0 };
  const started = performance.now();
  try {
    for (const shape of SHAPES) {
      const pushes = Number(shape.routes > 1000 ? values['large-pushes'] : values.pushes);
      let clients: BenchClient[] = [];
      for (const n of [1, 10, 50]) {
        // Connect up to n clients and let them sync the current version before measuring.
        for (let i = clients.length; i < n; i++) {
          const start = values.delta && i % 2 === 1 ? startDeltaClient : startSotwClient;
          clients.push(start(cp.address, `bench-${i}`, 'bench', ['main']));
        }
        generation.value += 1;
        const warm = await op.call<{ version: string }>('Push', { full: { text: JSON.stringify(config(shape, generation.value)) } }, 120_000);
        await waitSynced(cp, n, Number(warm.version));
        const f = await measure(cp, op, shape, n, pushes, generation);
        rows.push([shape.label, `${n} ADS client${n > 1 ? 's' : ''}${values.delta ? ' (½ delta)' : ''}`, fmt(median(f.pushMs)), fmt(median(f.syncMs)), fmt(Math.max(...f.syncMs)), String(pushes)]);
      }
      for (const c of clients) c.close();
      clients = [];
      await new Promise((r) => setTimeout(r, 200));
    }
    rows.push(...(await realGateway(cp, op, Number(values.pushes), generation)));
  } finally {
    op.close();
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const header = ['config', 'clients', 'push (median)', 'push → all ACKed (median)', 'max', 'pushes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(`\ncontrol plane: Push → every client ACKed (node ${process.version}, ${new Date().toISOString()})\n\n${line(header)}\n${rows.map(line).join('\n')}\n\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

/** N = 1 real gateway: an in-process shadowgate proxy bootstrapped over ADS (decodes, validates, applies, then ACKs). */
async function realGateway(cp: ControlPlaneHandle, op: ControlClient, pushes: number, generation: { value: number }): Promise<string[][]> {
  const rows: string[][] = [];
  for (const shape of SHAPES) {
    generation.value += 1;
    const warm = await op.call<{ version: string }>('Push', { full: { text: JSON.stringify(config(shape, generation.value)) } }, 120_000);
    const proxy = await startProxy({
      logger: pino({ level: 'silent' }),
      configYaml: JSON.stringify({
        node: { id: 'bench-gateway', cluster: 'bench' },
        static_resources: { clusters: [staticCluster('xds', cp.port)] },
        dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }] }, lds_config: ADS, cds_config: ADS },
      }),
    });
    try {
      await waitSynced(cp, 1, Number(warm.version));
      const n = shape.routes > 1000 ? Math.min(pushes, 3) : pushes;
      const f = await measure(cp, op, shape, 1, n, generation);
      rows.push([shape.label, '1 real gateway', fmt(median(f.pushMs)), fmt(median(f.syncMs)), fmt(Math.max(...f.syncMs)), String(n)]);
    } finally {
      await proxy.close();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return rows;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});

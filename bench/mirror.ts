/**
 * Mirroring benchmark: what does a 100 % shadow cost the primary, and does a slow shadow hurt it?
 *
 *   npm run build && node dist/bench/mirror.js [--duration-ms 5000] [--connections 32] [--warmup-ms 1000]
 *
 * One run, three scenarios against the same real local upstreams (their own process), each with its own
 * gateway child process (`shadowgate proxy -c <tmp bootstrap>`) so its peak RSS (VmHWM) is per scenario
 * and the load generator's memory is not counted; measured time is interleaved between scenarios:
 *   (a) no mirror   (b) 100 % mirror to a fast shadow   (c) 100 % mirror to a shadow answering after 200 ms
 * Load: closed loop, N keep-alive connections, POST with a 1 KiB body (so the body tee is exercised).
 * Goal: (c) changes the primary's p99 by < 10 % vs (a), and RSS stays bounded (shadows in flight are
 * capped by the mirror cluster's circuit breaker, max_requests 1024 by default). The gateway's CPU per
 * request (/proc/<pid>/stat) is printed too: on a small shared machine it is steadier than latency.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { LoadResult, mergeLoads, runLoad } from './lib/load';
import { RssSampler, firstLine, freePort, procCpuMs, procMemory, spawnNode, stopChild, waitForHttp } from './lib/process';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const SLOW_SHADOW_MS = 200;
const P99_GOAL_RATIO = 1.1;

interface Scenario {
  key: string;
  title: string;
  mirrorTo?: string;
}

const SCENARIOS: Scenario[] = [
  { key: 'a', title: 'no mirror' },
  { key: 'b', title: '100% mirror, fast shadow', mirrorTo: 'fast' },
  { key: 'c', title: `100% mirror, shadow +${SLOW_SHADOW_MS} ms`, mirrorTo: 'slow' },
];


interface Outcome {
  scenario: Scenario;
  load: LoadResult;
  peakRssMiB: number;
  windowMaxRssMiB: number;
  /** Gateway CPU (user + system) per proxied request, over the measured slices. */
  cpuUsPerRequest: number;
  shadow: Record<string, number>;
}

function cluster(name: string, port: number): object {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  };
}

function bootstrap(listenerPort: number, adminPort: number, upstreams: Record<string, number>, mirrorTo?: string): object {
  const route = { cluster: 'primary', ...(mirrorTo ? { request_mirror_policies: [{ cluster: mirrorTo }] } : {}) };
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
          route_config: { name: 'bench', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route }] }] },
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
        } }] }],
      }],
      clusters: Object.entries(upstreams).map(([name, port]) => cluster(name, port)),
    },
  };
}

async function shadowStats(adminUrl: string, mirrorTo: string | undefined): Promise<Record<string, number>> {
  if (!mirrorTo) return {};
  const text = await (await request(`${adminUrl}/stats?filter=${encodeURIComponent(`^cluster\\.${mirrorTo}\\.shadow_`)}`)).body.text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^cluster\.[^.]+\.shadow_(\w+): (\d+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

interface RunningGateway {
  scenario: Scenario;
  child: ChildProcess;
  url: string;
  adminUrl: string;
}

async function startGateway(s: Scenario, upstreams: Record<string, number>, dir: string): Promise<RunningGateway> {
  const [listenerPort, adminPort] = [await freePort(), await freePort()];
  const file = path.join(dir, `bootstrap-${s.key}.json`);
  writeFileSync(file, JSON.stringify(bootstrap(listenerPort, adminPort, upstreams, s.mirrorTo)));
  const child = spawnNode(path.join(__dirname, '../src/cli/main.js'), ['proxy', '-c', file, '-l', 'error']);
  child.stderr!.on('data', (c: Buffer) => process.stderr.write(`[gateway ${s.key}] ${c.toString()}`));
  child.stdout!.resume();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitForHttp(`${adminUrl}/ready`, 10_000, 'LIVE');
  return { scenario: s, child, url: `http://127.0.0.1:${listenerPort}`, adminUrl };
}

/**
 * All three gateways run side by side (separate processes, each idle while another is loaded) and the
 * measured time is cut into rounds a → b → c → a …, so a noisy neighbour on the machine hits every
 * scenario alike instead of skewing whichever ran during the noise.
 */
async function runAll(gateways: RunningGateway[], opts: Options): Promise<Outcome[]> {
  const load = (g: RunningGateway, durationMs: number): Promise<LoadResult> => runLoad({
    url: g.url, path: '/bench', method: 'POST', body: Buffer.alloc(1024, 'm'), headers: { 'content-type': 'application/octet-stream' },
    connections: opts.connections, durationMs,
  });
  for (const g of gateways) await load(g, opts.warmupMs);
  const runs = new Map<RunningGateway, LoadResult[]>(gateways.map((g) => [g, []]));
  const cpuMs = new Map<RunningGateway, number>(gateways.map((g) => [g, 0]));
  const samplers = new Map<RunningGateway, RssSampler>(gateways.map((g) => [g, new RssSampler(g.child.pid!).start()]));
  const sliceMs = opts.durationMs / opts.rounds;
  for (let round = 0; round < opts.rounds; round++) {
    for (const g of gateways) {
      const before = procCpuMs(g.child.pid!) ?? NaN;
      runs.get(g)!.push(await load(g, sliceMs));
      // Shadows still in flight are charged to the next slice of the same gateway, or dropped at the end.
      cpuMs.set(g, cpuMs.get(g)! + ((procCpuMs(g.child.pid!) ?? NaN) - before));
    }
  }
  // Let in-flight shadows finish so the counters add up (slow ones take SLOW_SHADOW_MS).
  await new Promise((r) => setTimeout(r, SLOW_SHADOW_MS + 100));
  const outcomes: Outcome[] = [];
  for (const g of gateways) {
    const merged = mergeLoads(runs.get(g)!);
    outcomes.push({
      scenario: g.scenario,
      load: merged,
      cpuUsPerRequest: (cpuMs.get(g)! * 1000) / merged.requests,
      windowMaxRssMiB: samplers.get(g)!.stop(),
      peakRssMiB: procMemory(g.child.pid!)?.peakRssMiB ?? NaN,
      shadow: await shadowStats(g.adminUrl, g.scenario.mirrorTo),
    });
  }
  return outcomes;
}

const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

function report(outcomes: Outcome[], opts: Options): boolean {
  const base = outcomes[0];
  process.stdout.write(`\nshadowgate mirror benchmark — ${opts.connections} connections, ${opts.durationMs / 1000} s per scenario in ${opts.rounds} interleaved rounds, POST 1 KiB, node ${process.version}\n\n`);
  const header = ['scenario', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'gw CPU µs/req', 'peak RSS MiB', 'shadows sent/ok/failed/dropped'];
  const rows = outcomes.map((o) => [
    `(${o.scenario.key}) ${o.scenario.title}`,
    f(o.load.requestsPerSec, 0),
    f(o.load.latency.p50Ms, 2),
    f(o.load.latency.p90Ms, 2),
    f(o.load.latency.p99Ms, 2),
    f(o.load.latency.maxMs, 1),
    String(o.load.errors),
    f(o.cpuUsPerRequest, 0),
    `${f(o.peakRssMiB)} (window ${f(o.windowMaxRssMiB)})`,
    o.scenario.mirrorTo ? `${o.shadow.sent ?? 0}/${o.shadow.succeeded ?? 0}/${o.shadow.failed ?? 0}/${o.shadow.dropped ?? 0}` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n\n`);
  process.stdout.write('ratios vs (a):\n');
  for (const o of outcomes.slice(1)) {
    process.stdout.write(`  (${o.scenario.key}) throughput ×${f(o.load.requestsPerSec / base.load.requestsPerSec, 3)}  p50 ×${f(o.load.latency.p50Ms / base.load.latency.p50Ms, 3)}  p99 ×${f(o.load.latency.p99Ms / base.load.latency.p99Ms, 3)}  gateway CPU/request ×${f(o.cpuUsPerRequest / base.cpuUsPerRequest, 3)}  peak RSS ×${f(o.peakRssMiB / base.peakRssMiB, 3)}\n`);
  }
  const [fast, slow] = [outcomes[1], outcomes[2]];
  const p99Ratio = slow.load.latency.p99Ms / base.load.latency.p99Ms;
  const slowVsFast = slow.load.latency.p99Ms / fast.load.latency.p99Ms;
  const ok = p99Ratio < P99_GOAL_RATIO && slow.load.errors === 0;
  process.stdout.write(`\ngoal: the slow shadow changes the primary's p99 by < ${f((P99_GOAL_RATIO - 1) * 100, 0)} %\n` +
    `  (c) vs (a) no mirror:   p99 ×${f(p99Ratio, 3)} ${ok ? 'MET' : 'MISSED'} — includes the CPU cost of sending a copy of every request\n` +
    `  (c) vs (b) fast shadow: p99 ×${f(slowVsFast, 3)} — the shadow's slowness alone\n` +
    `  RSS bounded: peak ${f(slow.peakRssMiB)} MiB vs ${f(base.peakRssMiB)} MiB without mirror, ` +
    `~${f(slow.load.requestsPerSec * (SLOW_SHADOW_MS / 1000), 0)} shadows in flight on average (cap: the mirror cluster's max_requests, 1024 by default)\n`);
  return ok;
}

interface Options {
  durationMs: number;
  warmupMs: number;
  connections: number;
  rounds: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '5' },
  } });
  const opts: Options = { durationMs: Number(values['duration-ms']), warmupMs: Number(values['warmup-ms']), connections: Number(values.connections), rounds: Math.max(1, Number(values.rounds)) };
  const dir = mkdtempSync(path.join(tmpdir(), 'shadowgate-bench-'));
  const upstreamProc = spawnNode(path.join(__dirname, 'lib/upstreams.js'), ['primary=0', 'fast=0', `slow=${SLOW_SHADOW_MS}`]);
  upstreamProc.stderr!.on('data', (c: Buffer) => process.stderr.write(`[upstreams] ${c.toString()}`));
  const started = performance.now();
  const gateways: RunningGateway[] = [];
  try {
    const upstreams = JSON.parse(await firstLine(upstreamProc)) as Record<string, number>;
    for (const s of SCENARIOS) gateways.push(await startGateway(s, upstreams, dir));
    report(await runAll(gateways, opts), opts);
    process.stdout.write(`total ${f((performance.now() - started) / 1000)} s\n`);
  } finally {
    await Promise.all(gateways.map((g) => stopChild(g.child)));
    await stopChild(upstreamProc);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/mirror: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});

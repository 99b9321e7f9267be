/**
 * What does tracing cost, and does a dead collector slow the gateway? Gateways export to an OTLP
 * endpoint nobody listens on:
 *
 *   npm run build && node dist/bench/tracing.js [--pairs 3] [--warmup-ms 8000] [--rounds 6] [--round-ms 3000] [--connections 16] [--protocol grpc]
 *
 * Two scenarios, without and with a 100 % mirror (3 spans per request), each comparing sampling 0 %
 * (always_off) with sampling 100 % (always_on, every span lost because the collector is down).
 * Goal (issue 6): the 100 % gateway's throughput within 10 % of the 0 % gateway's.
 *
 * Design: twins side by side. Each scenario runs `--pairs` pairs of gateway processes (0 % and 100 %);
 * a pair is always loaded at the same time, each twin by its own closed loop of `--connections`, so
 * both see the same host for the same seconds, and the figure per round is the ratio of the requests
 * they served in it (the kernel shares the CPU between them, so a costlier twin serves fewer). The
 * verdict is the median over all pair-rounds; the pooled ratio and the CPU per request are printed too.
 *
 * Why not one gateway after the other: on this 2-core host the speed of identical back-to-back runs
 * drifts by tens of per cent within a minute, more than the effect measured. And why the long warm-up:
 * a traced gateway has more code for V8 to optimise, and 1–2 s of load left it measurably slower than
 * its twin for the first ~10 s (a warm-up effect, not a steady cost).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { BenchContext, runBench } from './lib/bench-run';
import { median } from './lib/histogram';
import { LoadResult, mergeLoads } from './lib/load';
import { firstLine, freePort, procCpuMs, spawnNode } from './lib/process';
import { runRawLoad } from './lib/raw-http';
import { RunningGateway, benchBootstrap, startGatewayProcess } from './lib/gateway-process';

async function tracingStats(adminUrl: string): Promise<string> {
  const text = await (await request(`${adminUrl}/stats?filter=${encodeURIComponent('^tracing\\.')}`)).body.text();
  return text.trim().split('\n').map((l) => l.replace('tracing.opentelemetry.', '')).join(', ');
}

interface Twin {
  gateway: RunningGateway;
  loads: LoadResult[];
  cpuMs: number;
}

interface Pair {
  off: Twin;
  on: Twin;
  /** requests(100 %) / requests(0 %) per round */
  ratios: number[];
}

interface Scenario {
  name: string;
  action: object;
  pairs: Pair[];
}

async function main({ dir, own }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: '3' },
      'warmup-ms': { type: 'string', default: '8000' },
      rounds: { type: 'string', default: '6' },
      'round-ms': { type: 'string', default: '3000' },
      connections: { type: 'string', default: '16' },
      protocol: { type: 'string', default: 'http/protobuf' },
    },
  });
  const pairs = Number(values.pairs);
  const warmupMs = Number(values['warmup-ms']);
  const rounds = Number(values.rounds);
  const roundMs = Number(values['round-ms']);
  const connections = Number(values.connections);
  const upstreamProc = spawnNode(path.join(__dirname, 'lib/upstreams.js'), ['primary=raw', 'shadow=raw']);
  own(upstreamProc);
  const ports = JSON.parse(await firstLine(upstreamProc)) as Record<string, number>;
  const deadCollector = `http://127.0.0.1:${await freePort()}`;
  const env = (sampler: string): NodeJS.ProcessEnv => ({
    OTEL_TRACES_SAMPLER: sampler,
    OTEL_EXPORTER_OTLP_PROTOCOL: String(values.protocol),
    OTEL_EXPORTER_OTLP_ENDPOINT: deadCollector,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  const scenarios: Scenario[] = [
    { name: 'no mirror', action: { cluster: 'primary' }, pairs: [] },
    { name: '100% mirror', action: { cluster: 'primary', request_mirror_policies: [{ cluster: 'shadow' }] }, pairs: [] },
  ];
  const twin = async (name: string, s: Scenario, sampler: string): Promise<Twin> => {
    const gateway = await startGatewayProcess(name, dir, (lp, ap) => benchBootstrap(lp, ap, ports, s.action), env(sampler));
    own(gateway.child);
    return { gateway, loads: [], cpuMs: 0 };
  };
  for (const [i, s] of scenarios.entries()) {
    for (let k = 0; k < pairs; k++) s.pairs.push({ off: await twin(`t${i}-${k}-off`, s, 'always_off'), on: await twin(`t${i}-${k}-on`, s, 'always_on'), ratios: [] });
  }

  const load = (t: Twin, ms: number): Promise<LoadResult> =>
    runRawLoad({ port: Number(new URL(t.gateway.url).port), path: '/bench', connections, durationMs: ms });
  /**
   * Both twins at once; returns their loads [off, on] and records their CPU time. `onFirst` turns which
   * load the one generator starts first, so neither twin is always the second one it serves.
   */
  const loadPair = async (p: Pair, ms: number, onFirst = false): Promise<[LoadResult, LoadResult]> => {
    const order = onFirst ? [p.on, p.off] : [p.off, p.on];
    const before = order.map((t) => procCpuMs(t.gateway.child.pid!) ?? NaN);
    const results = await Promise.all(order.map((t) => load(t, ms)));
    order.forEach((t, j) => {
      t.cpuMs += (procCpuMs(t.gateway.child.pid!) ?? NaN) - before[j];
      t.loads.push(results[j]);
    });
    return onFirst ? [results[1], results[0]] : [results[0], results[1]];
  };
  const allPairs = scenarios.flatMap((s) => s.pairs);
  for (const p of allPairs) await loadPair(p, warmupMs);
  for (const p of allPairs) for (const t of [p.off, p.on]) { t.loads = []; t.cpuMs = 0; }
  // Counterbalanced order (ABC…, …CBA): no pair always runs first or last in a round.
  for (let r = 0; r < rounds; r++) {
    for (const p of r % 2 === 0 ? allPairs : [...allPairs].reverse()) {
      const [off, on] = await loadPair(p, roundMs, r % 2 === 1);
      p.ratios.push(on.requests / off.requests);
    }
  }

  process.stdout.write(`\ntracing cost (${values.protocol} exporter, collector down): ${pairs} pairs of twin gateways per scenario, each twin ${connections} connections, `
    + `${warmupMs} ms warm-up, ${rounds} rounds of ${roundMs} ms with both twins loaded at once\n`);
  for (const s of scenarios) {
    const twins = (side: 'off' | 'on'): LoadResult => mergeLoads(s.pairs.flatMap((p) => p[side].loads));
    const cpuUs = (side: 'off' | 'on', r: LoadResult): number => (s.pairs.reduce((a, p) => a + p[side].cpuMs, 0) * 1000) / r.requests;
    const [off, on] = [twins('off'), twins('on')];
    const ratio = median(s.pairs.flatMap((p) => p.ratios));
    const verdict = ratio >= 0.9 ? '(goal ≥ 0.90: met)' : '(goal ≥ 0.90: MISSED)';
    for (const [label, r, side] of [['sampling 0%', off, 'off'], ['sampling 100%, collector down', on, 'on']] as const) {
      process.stdout.write(`${`${s.name}, ${label}`.padEnd(44)} ${r.requestsPerSec.toFixed(0).padStart(6)} req/s per twin  p50 ${r.latency.p50Ms.toFixed(2)} ms  p99 ${r.latency.p99Ms.toFixed(2)} ms  errors ${r.errors}  gw CPU ${cpuUs(side, r).toFixed(0)} µs/req\n`);
    }
    const perPair = s.pairs.map((p) => median(p.ratios).toFixed(3)).join(', ');
    process.stdout.write(`${s.name}: throughput 100% / 0% = ${ratio.toFixed(3)} (median of ${s.pairs.length * rounds} pair-rounds; per pair ${perPair}; pooled ${(on.requests / off.requests).toFixed(3)}); `
      + `CPU per request ×${(cpuUs('on', on) / cpuUs('off', off)).toFixed(3)}  ${verdict}\n`);
    for (const p of s.pairs) process.stdout.write(`${''.padEnd(4)}${p.on.gateway.name}: ${await tracingStats(p.on.gateway.adminUrl)}\n`);
  }
}

runBench(main);

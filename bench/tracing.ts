/**
 * What does tracing cost, and does a dead collector slow the gateway? One run, interleaved rounds,
 * three gateway processes against the same upstream, all exporting to an OTLP endpoint nobody listens on:
 *
 *   npm run build && node dist/bench/tracing.js [--duration-ms 6000] [--connections 32] [--protocol grpc]
 *
 *   (a) sampling 0 %   (OTEL_TRACES_SAMPLER=always_off)
 *   (b) sampling 100 % (always_on), every span dropped at export (receiver down), with a 100 % mirror
 *   (c) sampling 100 %, no mirror
 * Goal (issue 6): (c) and (b) throughput within 10 % of (a). Dropped spans are read from /stats.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { LoadResult, mergeLoads, runLoad } from './lib/load';
import { firstLine, freePort, spawnNode, stopChild } from './lib/process';
import { RunningGateway, benchBootstrap, startGatewayProcess } from './lib/gateway-process';

async function tracingStats(adminUrl: string): Promise<string> {
  const text = await (await request(`${adminUrl}/stats?filter=${encodeURIComponent('^tracing\\.')}`)).body.text();
  return text.trim().split('\n').map((l) => l.replace('tracing.opentelemetry.', '')).join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'duration-ms': { type: 'string', default: '6000' }, connections: { type: 'string', default: '32' }, rounds: { type: 'string', default: '3' }, protocol: { type: 'string', default: 'http/protobuf' } } });
  const durationMs = Number(values['duration-ms']);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-bench-'));
  const children: ChildProcess[] = [];
  try {
    const upstreamProc = spawnNode(path.join(__dirname, 'lib/upstreams.js'), ['primary=0', 'shadow=0']);
    children.push(upstreamProc);
    const ports = JSON.parse(await firstLine(upstreamProc)) as Record<string, number>;
    const deadCollector = `http://127.0.0.1:${await freePort()}`;
    const env = (sampler: string): NodeJS.ProcessEnv => ({
      OTEL_TRACES_SAMPLER: sampler,
      OTEL_EXPORTER_OTLP_PROTOCOL: String(values.protocol),
      OTEL_EXPORTER_OTLP_ENDPOINT: deadCollector,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const mirrored = { cluster: 'primary', request_mirror_policies: [{ cluster: 'shadow' }] };
    const scenarios: [string, string, object][] = [
      ['sampling 0%, mirror', 'always_off', mirrored],
      ['sampling 100%, mirror, collector down', 'always_on', mirrored],
      ['sampling 100%, no mirror, collector down', 'always_on', { cluster: 'primary' }],
    ];
    const gateways: RunningGateway[] = [];
    for (const [i, [name, sampler, action]] of scenarios.entries()) {
      const g = await startGatewayProcess(`t${i}`, dir, (lp, ap) => benchBootstrap(lp, ap, ports, action), env(sampler));
      children.push(g.child);
      gateways.push({ ...g, name });
    }
    const load = (g: RunningGateway, ms: number): Promise<LoadResult> => runLoad({ url: g.url, path: '/bench', connections, durationMs: ms });
    for (const g of gateways) await load(g, 1500);
    const runs = new Map<RunningGateway, LoadResult[]>(gateways.map((g) => [g, []]));
    for (let r = 0; r < rounds; r++) for (const g of gateways) runs.get(g)!.push(await load(g, durationMs / rounds));
    const base = mergeLoads(runs.get(gateways[0])!);
    process.stdout.write(`\ntracing cost (${values.protocol} exporter, collector down): ${connections} connections, ${durationMs} ms per scenario in ${rounds} interleaved rounds\n`);
    for (const g of gateways) {
      const r = mergeLoads(runs.get(g)!);
      const ratio = r.requestsPerSec / base.requestsPerSec;
      process.stdout.write(`${g.name.padEnd(42)} ${r.requestsPerSec.toFixed(0).padStart(7)} req/s  p50 ${r.latency.p50Ms.toFixed(2)} ms  p99 ${r.latency.p99Ms.toFixed(2)} ms  errors ${r.errors}  vs 0%: ${ratio.toFixed(3)}${g === gateways[0] ? '' : ratio >= 0.9 ? '  (goal ≥ 0.90: met)' : '  (goal ≥ 0.90: MISSED)'}\n`);
      process.stdout.write(`${''.padEnd(42)} ${await tracingStats(g.adminUrl)}\n`);
    }
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});

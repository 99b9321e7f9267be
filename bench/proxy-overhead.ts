/**
 * What does shadowgate cost per request? One run, same machine, same upstream process, interleaved
 * rounds (direct → shadowgate → @fastify/http-proxy → nginx → direct …) so machine noise hits all alike:
 *
 *   npm run build && node dist/bench/proxy-overhead.js [--duration-ms 6000] [--connections 32]
 *
 * Scenarios: the upstream directly (the floor), shadowgate (Envoy routing, no mirror), @fastify/http-proxy
 * (reply-from, no routing, no mirror) and nginx (proxy_pass with keep-alive) when installed. Prints
 * requests/s and p50/p99 with ratios against the direct baseline and against @fastify/http-proxy.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchContext, runBench } from './lib/bench-run';
import { LoadResult, mergeLoads, runLoad } from './lib/load';
import { PROXY_NODE_ARGS, firstLine, spawnNode, stopChild, waitForHttp } from './lib/process';
import { benchBootstrap, startGatewayProcess } from './lib/gateway-process';
import { startNginx } from './lib/nginx';

interface Target {
  name: string;
  url: string;
  child?: ChildProcess;
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

async function main({ dir, own }: BenchContext): Promise<void> {
  const { values } = parseArgs({ options: { 'duration-ms': { type: 'string', default: '6000' }, connections: { type: 'string', default: '32' }, rounds: { type: 'string', default: '3' } } });
  const durationMs = Number(values['duration-ms']);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const upstreamProc = spawnNode(path.join(__dirname, 'lib/upstreams.js'), ['primary=0']);
  own(upstreamProc);
  const { primary } = JSON.parse(await firstLine(upstreamProc)) as Record<string, number>;
  const targets: Target[] = [{ name: 'direct', url: `http://127.0.0.1:${primary}` }];
  const gw = await startGatewayProcess('shadowgate', dir, (lp, ap) => benchBootstrap(lp, ap, { primary }, { cluster: 'primary' }));
  own(gw.child);
  targets.push({ name: 'shadowgate', url: gw.url });
  const hp = spawnNode(path.join(__dirname, 'lib/http-proxy-baseline.js'), [String(primary)], { nodeArgs: PROXY_NODE_ARGS });
  own(hp);
  const { port } = JSON.parse(await firstLine(hp)) as { port: number };
  await waitForHttp(`http://127.0.0.1:${port}/`);
  targets.push({ name: '@fastify/http-proxy', url: `http://127.0.0.1:${port}` });
  const nginx = await startNginx(dir, primary);
  if (nginx) {
    own(nginx.child);
    targets.push({ name: 'nginx', url: nginx.url });
  } else {
    process.stdout.write('nginx not installed: skipped (apt-get install nginx-light to include it)\n');
  }

  const load = (t: Target, ms: number): Promise<LoadResult> => runLoad({ url: t.url, path: '/bench', connections, durationMs: ms });
  for (const t of targets) await load(t, 1000); // warm-up: JIT, keep-alive pools
  const runs = new Map<Target, LoadResult[]>(targets.map((t) => [t, []]));
  // Counterbalanced (ABCD, DCBA, …): whoever runs first or last in a round is not always the same target.
  for (let r = 0; r < rounds; r++) for (const t of r % 2 === 0 ? targets : [...targets].reverse()) runs.get(t)!.push(await load(t, durationMs / rounds));
  const results = targets.map((t) => ({ t, r: mergeLoads(runs.get(t)!) }));
  const direct = results[0].r;
  const fhp = results.find((x) => x.t.name === '@fastify/http-proxy')!.r;
  process.stdout.write(`\nproxy overhead: ${connections} connections, ${durationMs} ms per target in ${rounds} interleaved rounds, GET, 11-byte body\n`);
  process.stdout.write(`${'target'.padEnd(22)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}  ${'rps vs direct'.padStart(13)} ${'rps vs http-proxy'.padStart(17)} ${'p99 vs http-proxy'.padStart(17)}\n`);
  for (const { t, r } of results) {
    process.stdout.write(`${t.name.padEnd(22)} ${fmt(r.requestsPerSec, 0).padStart(9)} ${fmt(r.latency.p50Ms).padStart(8)} ${fmt(r.latency.p99Ms).padStart(8)} ${String(r.errors).padStart(7)}  ${fmt(r.requestsPerSec / direct.requestsPerSec).padStart(13)} ${fmt(r.requestsPerSec / fhp.requestsPerSec).padStart(17)} ${fmt(r.latency.p99Ms / fhp.latency.p99Ms).padStart(17)}\n`);
  }
}

runBench(main);

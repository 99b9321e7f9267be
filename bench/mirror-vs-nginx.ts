/**
 * The yardstick for dark launches: nginx's `mirror` against shadowgate's, both copying every request to
 * a shadow that answers after 200 ms, same upstream processes, same closed-loop load, interleaved rounds:
 *
 *   npm run build && node dist/bench/mirror-vs-nginx.js [--duration-ms 6000] [--connections 32]
 *
 * nginx finalizes a request only after its mirror subrequest ends, so the next request on the same
 * keep-alive connection waits for the shadow; shadowgate's shadows are fire-and-forget. Needs nginx
 * (apt-get install nginx-light); without it, says so and exits 0.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchContext, runBench } from './lib/bench-run';
import { LoadResult, mergeLoads, runLoad } from './lib/load';
import { firstLine, spawnNode } from './lib/process';
import { benchBootstrap, startGatewayProcess } from './lib/gateway-process';
import { nginxBinary, startNginx } from './lib/nginx';

const SLOW_SHADOW_MS = 200;

async function main({ dir, own }: BenchContext): Promise<void> {
  const { values } = parseArgs({ options: { 'duration-ms': { type: 'string', default: '6000' }, connections: { type: 'string', default: '32' }, rounds: { type: 'string', default: '3' } } });
  if (!nginxBinary()) {
    process.stdout.write('nginx not installed: nothing to compare (apt-get install nginx-light)\n');
    return;
  }
  const durationMs = Number(values['duration-ms']);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const ups = spawnNode(path.join(__dirname, 'lib/upstreams.js'), ['primary=0']);
  const shadows = spawnNode(path.join(__dirname, 'lib/upstreams.js'), [`slow=${SLOW_SHADOW_MS}`]);
  own(ups); own(shadows);
  const { primary } = JSON.parse(await firstLine(ups)) as Record<string, number>;
  const { slow } = JSON.parse(await firstLine(shadows)) as Record<string, number>;
  const targets: { name: string; url: string }[] = [];
  const nginxPlain = (await startNginx(dir, primary))!;
  const nginxMirror = (await startNginx(dir, primary, slow))!;
  own(nginxPlain.child); own(nginxMirror.child);
  const sgPlain = await startGatewayProcess('plain', dir, (lp, ap) => benchBootstrap(lp, ap, { primary }, { cluster: 'primary' }));
  const sgMirror = await startGatewayProcess('mirror', dir, (lp, ap) => benchBootstrap(lp, ap, { primary, slow }, { cluster: 'primary', request_mirror_policies: [{ cluster: 'slow' }] }));
  own(sgPlain.child); own(sgMirror.child);
  targets.push(
    { name: 'nginx, no mirror', url: nginxPlain.url },
    { name: `nginx, mirror to +${SLOW_SHADOW_MS} ms shadow`, url: nginxMirror.url },
    { name: 'shadowgate, no mirror', url: sgPlain.url },
    { name: `shadowgate, mirror to +${SLOW_SHADOW_MS} ms shadow`, url: sgMirror.url },
  );
  const load = (url: string, ms: number): Promise<LoadResult> => runLoad({ url, path: '/bench', connections, durationMs: ms });
  for (const t of targets) await load(t.url, 1000);
  const runs = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  // Counterbalanced (ABCD, DCBA, …): whoever runs first or last in a round is not always the same target.
  for (let r = 0; r < rounds; r++) for (const t of r % 2 === 0 ? targets : [...targets].reverse()) runs.get(t.name)!.push(await load(t.url, durationMs / rounds));
  process.stdout.write(`\nmirror to a slow shadow, nginx vs shadowgate: ${connections} keep-alive connections, ${durationMs} ms each, ${rounds} interleaved rounds\n`);
  process.stdout.write(`${'target'.padEnd(40)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}  p99 vs same proxy without mirror\n`);
  const results = targets.map((t) => ({ t, r: mergeLoads(runs.get(t.name)!) }));
  results.forEach(({ t, r }, i) => {
    const base = results[i - (i % 2)].r;
    process.stdout.write(`${t.name.padEnd(40)} ${r.requestsPerSec.toFixed(0).padStart(8)} ${r.latency.p50Ms.toFixed(2).padStart(8)} ${r.latency.p99Ms.toFixed(2).padStart(8)} ${String(r.errors).padStart(7)}  ×${(r.latency.p99Ms / base.latency.p99Ms).toFixed(2)}\n`);
  });
}

runBench(main);

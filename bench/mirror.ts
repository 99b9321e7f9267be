/**
 * Mirroring benchmark: what does a 100 % shadow cost the primary, and does a slow shadow hurt it?
 *
 *   npm run build && node dist/bench/mirror.js [--duration-ms 10000] [--paced-ms 20000] [--paced-fraction 0.25,0.5]
 *                                              [--rounds 5] [--connections 32] [--warmup-ms 30000] [--sets 3]
 *                                              [--shadow-delay-ms 200]
 *
 * One run, three scenarios against the same real local upstreams (their own processes), each with its own
 * gateway child process (`shadowgate proxy -c <tmp bootstrap>`) so its peak RSS (VmHWM) is per scenario
 * and the load generator's memory is not counted; the three are loaded at the same time (runPhase):
 *   (a) no mirror   (b) 100 % mirror to a fast shadow   (c) 100 % mirror to a shadow answering after 200 ms
 * This is done `--sets` times with fresh gateways and the samples are pooled: one process per scenario
 * made (c) cost from −5 % to +16 % more CPU per request than (b) from one run to the next. Each set is
 * warmed up for 30 s at saturation: after 15 s the slow-shadow gateway still cost 4–12 % more CPU per
 * request than the fast one, after 30 s the same (a mirroring gateway's young generation reaches its
 * size only after some 30,000 requests, docs/mirroring.md).
 * Load: N keep-alive connections per gateway, POST with a 1 KiB body (so the body tee is exercised), in
 * phases: closed loop (saturation: throughput and latency when CPU is the limit), then paced at each
 * fraction of the lowest saturation throughput of the three (a mirroring gateway's). On a 2-core host
 * the load generator and the upstreams share the cores: at 50 % the host is still ~70 % busy and a p99
 * is mostly time spent waiting for a core; at 25 % it is about half busy. Throughputs are those of
 * gateways sharing the host: the kernel gives each a similar CPU share, so their ratios are ratios of
 * CPU cost per request.
 * What side by side cannot show: a cost the slow shadow puts on a process the three share (the
 * primary's upstream) lands on all of them; in production the shadow's upstream is on other hosts.
 * Goal: (c) changes the primary's p99 by < 10 % vs (b) (the shadow's slowness alone), and RSS stays
 * bounded (shadows in flight are capped by the mirror cluster's circuit breaker, max_requests 1024 by
 * default). The gateway's CPU per request (/proc/<pid>/stat) and how busy the host was are printed too.
 * `--shadow-delay-ms 0` makes (c) a twin of (b): what (c)/(b) then shows is this host's noise floor.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { LoadResult, mergeLoads, runLoad } from './lib/load';
import { RssSampler, firstLine, hostBusyPercent, hostCpuTicks, procCpuMs, procMemory, spawnNode, stopChild } from './lib/process';
import { BenchContext, runBench } from './lib/bench-run';
import { RunningGateway as GatewayProcess, benchBootstrap, startGatewayProcess } from './lib/gateway-process';

const P99_GOAL_RATIO = 1.1;

interface Scenario {
  key: string;
  title: string;
  mirrorTo?: string;
}

function scenarios(slowShadowMs: number): Scenario[] {
  return [
    { key: 'a', title: 'no mirror' },
    { key: 'b', title: '100% mirror, fast shadow', mirrorTo: 'fast' },
    { key: 'c', title: `100% mirror, shadow +${slowShadowMs} ms`, mirrorTo: 'slow' },
  ];
}


interface Outcome {
  scenario: Scenario;
  saturated: PhaseResult;
  /** One per paced fraction, in the order given. */
  paced: PhaseResult[];
  peakRssMiB: number;
  windowMaxRssMiB: number;
  shadow: Record<string, number>;
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

interface RunningGateway extends GatewayProcess {
  scenario: Scenario;
}

async function startGateway(s: Scenario, set: number, upstreams: Record<string, number>, dir: string): Promise<RunningGateway> {
  const action = { cluster: 'primary', ...(s.mirrorTo ? { request_mirror_policies: [{ cluster: s.mirrorTo }] } : {}) };
  const g = await startGatewayProcess(`${s.key}${set}`, dir, (lp, ap) => benchBootstrap(lp, ap, upstreams, action));
  return { ...g, scenario: s };
}

interface PhaseResult {
  load: LoadResult;
  /** Each round's load, in order (the scenarios' rounds ran over the same seconds). */
  rounds: LoadResult[];
  /** Gateway CPU (user + system) per proxied request. */
  cpuUsPerRequest: number;
  /** How busy the whole host was (all processes, all cores) while the phase ran, in per cent. */
  hostBusyPercent: number;
}

/**
 * All three gateways are loaded at the same time, each by its own connections, in rounds: the
 * scenarios are compared over the same seconds. On a small shared host the speed of back-to-back
 * runs drifts by tens of per cent within a minute and stalls hit whatever runs at that moment; side
 * by side, a host stall lands in every scenario's samples at once and only each gateway's own
 * behaviour (its GC, its shadows) tells them apart.
 */
async function runPhase(gateways: RunningGateway[], opts: Options, durationMs: number, ratePerSec?: number): Promise<Map<RunningGateway, PhaseResult>> {
  const runs = new Map<RunningGateway, LoadResult[]>(gateways.map((g) => [g, []]));
  const cpuMs = new Map<RunningGateway, number>(gateways.map((g) => [g, 0]));
  const sliceMs = durationMs / opts.rounds;
  const hostBefore = hostCpuTicks();
  for (let round = 0; round < opts.rounds; round++) {
    // One load generator drives the three: which one it starts first turns each round, so that no
    // scenario is always the last one its event loop serves.
    const order = rotate(gateways, round);
    const before = order.map((g) => procCpuMs(g.child.pid!) ?? NaN);
    const results = await Promise.all(order.map((g) => load(g, opts, sliceMs, ratePerSec)));
    order.forEach((g, i) => {
      runs.get(g)!.push(results[i]);
      // Shadows still in flight are charged to the next round, or (the last) not at all.
      cpuMs.set(g, cpuMs.get(g)! + ((procCpuMs(g.child.pid!) ?? NaN) - before[i]));
    });
  }
  const hostBusy = hostBusyPercent(hostBefore, hostCpuTicks());
  const out = new Map<RunningGateway, PhaseResult>();
  for (const g of gateways) {
    const merged = mergeLoads(runs.get(g)!);
    out.set(g, { load: merged, rounds: runs.get(g)!, cpuUsPerRequest: (cpuMs.get(g)! * 1000) / merged.requests, hostBusyPercent: hostBusy });
  }
  return out;
}

/** The list started at its `by`-th element (modulo its length). */
function rotate<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]);
}

function load(g: RunningGateway, opts: Options, durationMs: number, ratePerSec?: number): Promise<LoadResult> {
  return runLoad({
    url: g.url, path: '/bench', method: 'POST', body: Buffer.alloc(1024, 'm'), headers: { 'content-type': 'application/octet-stream' },
    connections: opts.connections, durationMs, ...(ratePerSec ? { ratePerSec } : {}),
  });
}

async function runAll(gateways: RunningGateway[], opts: Options): Promise<{ outcomes: Outcome[]; pacedRates: number[] }> {
  await Promise.all(gateways.map((g) => load(g, opts, opts.warmupMs)));
  const samplers = new Map<RunningGateway, RssSampler>(gateways.map((g) => [g, new RssSampler(g.child.pid!).start()]));
  const saturated = await runPhase(gateways, opts, opts.durationMs);
  // Below saturation: whether the shadow itself holds the primary, the host less busy at each lower rate.
  const capacity = Math.min(...gateways.map((g) => saturated.get(g)!.load.requestsPerSec));
  const pacedRates = opts.pacedFractions.map((fraction) => Math.max(1, Math.round(capacity * fraction)));
  const paced: Map<RunningGateway, PhaseResult>[] = [];
  for (const rate of pacedRates) paced.push(await runPhase(gateways, opts, opts.pacedMs, rate));
  // Let in-flight shadows finish so the counters add up (slow ones take slowShadowMs).
  await new Promise((r) => setTimeout(r, opts.slowShadowMs + 100));
  const outcomes: Outcome[] = [];
  for (const g of gateways) {
    outcomes.push({
      scenario: g.scenario,
      saturated: saturated.get(g)!,
      paced: paced.map((p) => p.get(g)!),
      windowMaxRssMiB: samplers.get(g)!.stop(),
      peakRssMiB: procMemory(g.child.pid!)?.peakRssMiB ?? NaN,
      shadow: await shadowStats(g.adminUrl, g.scenario.mirrorTo),
    });
  }
  return { outcomes, pacedRates };
}

/** One scenario's figures over several sets: samples pooled, CPU weighted by requests, RSS the highest. */
function mergeOutcomes(parts: Outcome[]): Outcome {
  const phase = (pick: PhasePick): PhaseResult => {
    const results = parts.map(pick);
    const load = mergeLoads(results.map((r) => r.load));
    const cpuMs = results.reduce((sum, r) => sum + (r.cpuUsPerRequest * r.load.requests) / 1000, 0);
    const hostBusy = results.reduce((sum, r) => sum + r.hostBusyPercent, 0) / results.length;
    return { load, rounds: results.flatMap((r) => r.rounds), cpuUsPerRequest: (cpuMs * 1000) / load.requests, hostBusyPercent: hostBusy };
  };
  const shadow: Record<string, number> = {};
  for (const o of parts) for (const [k, v] of Object.entries(o.shadow)) shadow[k] = (shadow[k] ?? 0) + v;
  return {
    scenario: parts[0].scenario,
    saturated: phase((o) => o.saturated),
    paced: parts[0].paced.map((_, i) => phase((o) => o.paced[i])),
    peakRssMiB: Math.max(...parts.map((o) => o.peakRssMiB)),
    windowMaxRssMiB: Math.max(...parts.map((o) => o.windowMaxRssMiB)),
    shadow,
  };
}

/** Which phase of an outcome a table or verdict is about. */
type PhasePick = (o: Outcome) => PhaseResult;

const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return `${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`;
}

function phaseRows(outcomes: Outcome[], pick: PhasePick): string[][] {
  return outcomes.map((o) => {
    const r = pick(o);
    return [`(${o.scenario.key}) ${o.scenario.title}`, f(r.load.requestsPerSec, 0), f(r.load.latency.p50Ms, 2), f(r.load.latency.p90Ms, 2),
      f(r.load.latency.p99Ms, 2), f(r.load.latency.maxMs, 1), String(r.load.errors), f(r.cpuUsPerRequest, 0)];
  });
}

function ratios(outcomes: Outcome[], pick: PhasePick): string {
  const base = pick(outcomes[0]);
  return outcomes.slice(1).map((o) => {
    const r = pick(o);
    return `  (${o.scenario.key}) throughput ×${f(r.load.requestsPerSec / base.load.requestsPerSec, 3)}  p50 ×${f(r.load.latency.p50Ms / base.load.latency.p50Ms, 3)}  ` +
      `p99 ×${f(r.load.latency.p99Ms / base.load.latency.p99Ms, 3)}  gateway CPU/request ×${f(r.cpuUsPerRequest / base.cpuUsPerRequest, 3)}\n`;
  }).join('');
}

/**
 * The goal is about the shadow's slowness: (c) against (b) sends the same copies, only to a shadow that
 * answers 200 ms later — what nginx's `mirror` turns into client latency. (c) against (a) is printed too:
 * that is the price of mirroring at all (every request costs the gateway a second upstream request).
 */
function verdict(outcomes: Outcome[], pick: PhasePick, label: string): string {
  const [base, fast, slow] = outcomes.map(pick);
  // p99 over every round's samples together: a single round holds too few samples for a stable p99.
  const vsNone = slow.load.latency.p99Ms / base.load.latency.p99Ms;
  const vsFast = slow.load.latency.p99Ms / fast.load.latency.p99Ms;
  const met = vsFast < P99_GOAL_RATIO && slow.load.errors === 0;
  const perRound = slow.rounds.map((r, i) => f(r.latency.p99Ms / fast.rounds[i].latency.p99Ms, 2)).join(' ');
  return `  ${label}: (c)/(b) p99 ×${f(vsFast, 3)} ${met ? 'MET' : 'MISSED'} (the shadow's slowness alone; per round ${perRound}); (c)/(a) p99 ×${f(vsNone, 3)} (mirroring at all)\n`;
}

function report(outcomes: Outcome[], pacedRates: number[][], opts: Options): void {
  const w = (text: string): void => void process.stdout.write(text);
  const header = ['scenario', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'gw CPU µs/req'];
  w(`\nshadowgate mirror benchmark — POST 1 KiB, ${opts.connections} keep-alive connections per gateway, the three gateways loaded at once, ${opts.sets} sets of fresh gateways, node ${process.version}, ${opts.rounds} rounds per phase and set\n`);
  w(`\n1) saturation (closed loop, ${opts.durationMs / 1000} s per set; host CPU ${f(outcomes[0].saturated.hostBusyPercent, 0)} % busy)\n`);
  w(table(header, phaseRows(outcomes, (o) => o.saturated)));
  w(`ratios vs (a):\n${ratios(outcomes, (o) => o.saturated)}`);
  opts.pacedFractions.forEach((fraction, i) => {
    const pick: PhasePick = (o) => o.paced[i];
    const rates = pacedRates.map((perSet) => perSet[i]).join(', ');
    w(`\n${i + 2}) paced at ${rates} req/s (per set) = ${f(fraction * 100, 0)} % of the set's lowest saturation throughput (${opts.pacedMs / 1000} s per set, per gateway; host CPU ${f(pick(outcomes[0]).hostBusyPercent, 0)} % busy)\n`);
    w(table(header, phaseRows(outcomes, pick)));
    w(`ratios vs (a):\n${ratios(outcomes, pick)}`);
  });
  w('\nmemory and shadows (whole run)\n');
  w(table(['scenario', 'peak RSS MiB (VmHWM)', 'max VmRSS while measured', 'shadows sent/ok/failed/dropped'], outcomes.map((o) => [
    `(${o.scenario.key}) ${o.scenario.title}`, f(o.peakRssMiB), f(o.windowMaxRssMiB),
    o.scenario.mirrorTo ? `${o.shadow.sent ?? 0}/${o.shadow.succeeded ?? 0}/${o.shadow.failed ?? 0}/${o.shadow.dropped ?? 0}` : '-',
  ])));
  w(`\ngoal: the slow shadow (c) changes the primary's p99 by < ${f((P99_GOAL_RATIO - 1) * 100, 0)} % vs the same mirror to a fast shadow (b)\n`);
  opts.pacedFractions.forEach((fraction, i) => w(verdict(outcomes, (o) => o.paced[i], `paced at ${f(fraction * 100, 0).padStart(2)} % load`)));
  w(verdict(outcomes, (o) => o.saturated, 'at saturation    '));
  const slow = outcomes[2];
  w(`  RSS bounded: peak ${f(slow.peakRssMiB)} MiB vs ${f(outcomes[0].peakRssMiB)} MiB without mirror ` +
    `(~${f(slow.saturated.load.requestsPerSec * (opts.slowShadowMs / 1000), 0)} shadows in flight at saturation; cap: the mirror cluster's max_requests, 1024 by default)\n`);
  w('  At saturation every extra CPU microsecond is latency: there (b) and (c) pay for sending the copy, not for its slowness.\n');
  w('  One run is one sample: on a shared 2-core host two identical gateways (--shadow-delay-ms 0) differed by up to ±20 % in p99\n' +
    '  at 50 % load in one run; read several runs against that spread (docs/mirroring.md, session 5).\n');
}

interface Options {
  /** Closed-loop (saturation) time (the three at once). */
  durationMs: number;
  /** Paced time per fraction (the three at once), each at a fraction of the lowest saturation throughput. */
  pacedMs: number;
  pacedFractions: number[];
  warmupMs: number;
  connections: number;
  rounds: number;
  /** Fresh sets of three gateways, one after the other; their samples are pooled. */
  sets: number;
  /** How late the slow shadow answers; 0 makes (c) a twin of (b): the spread of (c)/(b) is then noise. */
  slowShadowMs: number;
}

async function main({ dir, own }: BenchContext): Promise<void> {
  const { values } = parseArgs({ options: {
    'duration-ms': { type: 'string', default: '10000' },
    'paced-ms': { type: 'string', default: '20000' },
    'paced-fraction': { type: 'string', default: '0.25,0.5' },
    'warmup-ms': { type: 'string', default: '30000' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '5' },
    sets: { type: 'string', default: '3' },
    'shadow-delay-ms': { type: 'string', default: '200' },
  } });
  const opts: Options = { durationMs: Number(values['duration-ms']), pacedMs: Number(values['paced-ms']), pacedFractions: values['paced-fraction'].split(',').map(Number), warmupMs: Number(values['warmup-ms']), connections: Number(values.connections), rounds: Math.max(1, Number(values.rounds)), sets: Math.max(1, Number(values.sets)), slowShadowMs: Number(values['shadow-delay-ms']) };
  if (opts.pacedFractions.some((x) => !(x > 0 && x <= 1))) throw new Error(`--paced-fraction: each value must be in (0, 1], got ${values['paced-fraction']}`);
  const SCENARIOS = scenarios(opts.slowShadowMs);
  // The primary's upstream and the shadows' upstreams run in separate processes, so the shadows' extra
  // requests do not load the process that answers the primary.
  const upstreamProcs = [own(spawnNode(path.join(__dirname, 'lib/upstreams.js'), ['primary=0'])), own(spawnNode(path.join(__dirname, 'lib/upstreams.js'), ['fast=0', `slow=${opts.slowShadowMs}`]))];
  for (const u of upstreamProcs) u.stderr!.on('data', (c: Buffer) => process.stderr.write(`[upstreams] ${c.toString()}`));
  const started = performance.now();
  let upstreams: Record<string, number> = {};
  for (const u of upstreamProcs) upstreams = { ...upstreams, ...(JSON.parse(await firstLine(u)) as Record<string, number>) };
  // Two processes of the same build can differ by several per cent for their whole life (code and heap
  // layout), as much as the effect measured: each set starts three fresh gateways.
  const sets: Outcome[][] = [];
  const pacedRates: number[][] = [];
  for (let k = 0; k < opts.sets; k++) {
    const gateways: RunningGateway[] = [];
    // Started in a different order in each set (ports, start-up); kept in scenario order for the report.
    for (const s of rotate(SCENARIOS, k)) gateways.push(await startGateway(s, k, upstreams, dir).then((g) => (own(g.child), g)));
    gateways.sort((x, y) => SCENARIOS.indexOf(x.scenario) - SCENARIOS.indexOf(y.scenario));
    const { outcomes, pacedRates: rates } = await runAll(gateways, opts);
    sets.push(outcomes);
    pacedRates.push(rates);
    await Promise.all(gateways.map((g) => stopChild(g.child)));
  }
  report(SCENARIOS.map((_, i) => mergeOutcomes(sets.map((o) => o[i]))), pacedRates, opts);
  process.stdout.write(`total ${f((performance.now() - started) / 1000)} s\n`);
}

runBench(main);

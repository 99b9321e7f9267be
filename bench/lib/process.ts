/**
 * Child-process helpers for benchmarks: free ports, waiting for an HTTP endpoint, and the memory of a
 * process read from /proc/<pid>/status (VmHWM = peak resident set, VmRSS = current), so the process
 * under test is measured and the load generator is not.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { request } from 'undici';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitForHttp(url: string, timeoutMs = 10_000, expectBody?: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await request(url);
      const body = await res.body.text();
      if (res.statusCode === 200 && (expectBody === undefined || body.includes(expectBody))) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ProcMemory {
  /** Peak resident set size since the process started (kB → MiB). */
  peakRssMiB: number;
  rssMiB: number;
}

/** Linux only; undefined elsewhere or once the process is gone. */
export function procMemory(pid: number): ProcMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakRssMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream Linux build). */
const CLOCK_TICKS_PER_SEC = 100;

/** CPU time (user + system) a process has used so far, in ms; undefined when unreadable. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU ticks of the whole host so far (all cores, /proc/stat); undefined off Linux. */
export function hostCpuTicks(): { busy: number; total: number } | undefined {
  try {
    // cpu  user nice system idle iowait irq softirq steal ...: idle and iowait are the idle time.
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    return { busy: total - ticks[3] - ticks[4], total };
  } catch {
    return undefined;
  }
}

/** Share of the host's CPU that was busy between two hostCpuTicks() readings, in per cent. */
export function hostBusyPercent(from: ReturnType<typeof hostCpuTicks>, to: ReturnType<typeof hostCpuTicks>): number {
  if (!from || !to || to.total === from.total) return NaN;
  return ((to.busy - from.busy) * 100) / (to.total - from.total);
}

/** Samples VmRSS every `intervalMs` and keeps the maximum (VmHWM covers the whole life, this a window). */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  maxRssMiB = 0;

  constructor(private readonly pid: number, private readonly intervalMs = 50) {}

  start(): this {
    this.timer = setInterval(() => {
      const m = procMemory(this.pid);
      if (m && m.rssMiB > this.maxRssMiB) this.maxRssMiB = m.rssMiB;
    }, this.intervalMs);
    return this;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    return this.maxRssMiB;
  }
}

export function spawnNode(script: string, args: string[], opts: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): ChildProcess {
  return spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
}

/**
 * How the proxies under test are run: with the young generation the README recommends for shadowgate
 * (request-scoped garbage dies young). Every Node proxy in a comparison gets the same flags.
 */
export const PROXY_NODE_ARGS = ['--max-semi-space-size=64'];

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first stdout line of a child (servers print their ports as one JSON line). */
export function firstLine(child: ChildProcess, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('child printed nothing')), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing`)));
  });
}

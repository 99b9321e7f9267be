/**
 * Shared pieces of the mirror tests: a gateway started with shadow options, a route with mirror policies,
 * a stat reader, and latency sampling for "the primary never notices the shadow".
 */
import { Dispatcher, Pool, request } from 'undici';
import { type StartGatewayOptions, type TestGateway, startGateway } from '../helpers/gateway';

/** A gateway for mirror tests: the shared test gateway, with shadow options (strip headers, methods). */
export function startMirrorGateway(bootstrap: object, options: StartGatewayOptions = {}): Promise<TestGateway> {
  return startGateway(bootstrap, options);
}

/** A route forwarding `prefix` to `cluster` with the given mirror policies (and extra RouteAction fields). */
export function mirrorRoute(prefix: string, cluster: string, policies: object[], action: object = {}, route: object = {}): object {
  return { match: { prefix }, route: { cluster, ...(policies.length > 0 ? { request_mirror_policies: policies } : {}), ...action }, ...route };
}

/** One counter or gauge from the gateway's in-process stats store (0 when never created). */
export function stat(gw: TestGateway, name: string): number {
  const found = gw.handle.gateway.stats.json((n) => n === name).stats[0];
  return found ? found.value : 0;
}

/** Polls until `check()` is true (shadows are asynchronous by design). */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Timed {
  status: number;
  body: string;
  ms: number;
}

/** One request on `dispatcher` (a keep-alive pool or agent), timed from send to the last body byte. */
export async function timed(dispatcher: Dispatcher, url: string, opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Timed> {
  const started = performance.now();
  const res = await request(url, { dispatcher, method: (opts.method ?? 'GET') as 'GET', ...(opts.body !== undefined ? { body: opts.body } : {}), ...(opts.headers ? { headers: opts.headers } : {}) });
  const body = await res.body.text();
  return { status: res.statusCode, body, ms: performance.now() - started };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A single keep-alive connection: consecutive requests share one socket (the nginx mirror failure). */
export function oneConnection(origin: string): Pool {
  return new Pool(origin, { connections: 1, pipelining: 1 });
}

/** An upstream that resets the connection as soon as the first body bytes arrive (reset mid-body). */
export async function startResettingUpstream(): Promise<{ port: number; seen: () => number; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  let seen = 0;
  const server = createServer((req) => {
    seen++;
    req.once('data', () => req.socket.destroy());
    req.once('end', () => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    port,
    seen: () => seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

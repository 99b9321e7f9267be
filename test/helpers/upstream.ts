/**
 * Real HTTP upstream servers on 127.0.0.1 for tests: each records what it received (method, url,
 * headers, body) and answers with a configurable handler. Closed in t.teardown.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  receivedAt: number;
}

export type UpstreamHandler = (req: ReceivedRequest, res: http.ServerResponse) => void;

export interface TestUpstream {
  name: string;
  port: number;
  received: ReceivedRequest[];
  /** Resolves when `n` requests have been received (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  setHandler(handler: UpstreamHandler): void;
  close(): Promise<void>;
}

/** Default handler: 200 with a small JSON body naming the upstream. */
function echoHandler(name: string): UpstreamHandler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
    res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, bodyLength: req.body.length }));
  };
}

export async function startUpstream(name: string, handler?: UpstreamHandler): Promise<TestUpstream> {
  let current = handler ?? echoHandler(name);
  const received: ReceivedRequest[] = [];
  const waiters: { n: number; resolve: (r: ReceivedRequest[]) => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), receivedAt: performance.now() };
      received.push(r);
      for (const w of [...waiters]) {
        if (received.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(received.slice());
        }
      }
      current(r, res);
    });
    req.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    received,
    waitFor(n, timeoutMs = 5000) {
      if (received.length >= n) return Promise.resolve(received.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: expected ${n} requests, got ${received.length} after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: (r) => { clearTimeout(timer); resolve(r); } });
      });
    },
    setHandler(h) {
      current = h;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A port with nothing listening (bound then released), for connection-refused cases. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

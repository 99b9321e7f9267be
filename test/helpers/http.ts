/**
 * Client side of the gateway tests: `send` (undici, real sockets) returns status, headers and the whole
 * body; `rawExchange` writes bytes on a TCP socket for what undici refuses to send (hop-by-hop headers,
 * malformed requests) and returns what came back before the server closed or the timeout.
 */
import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';

export interface SentResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export async function send(base: string, path = '/', opts: SendOptions = {}): Promise<SentResponse> {
  const res = await request(`${base}${path}`, {
    method: (opts.method ?? 'GET') as 'GET',
    ...(opts.headers ? { headers: opts.headers } : {}),
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body };
}

/** Sends `n` requests (at most `concurrency` at a time) and returns the responses in order. */
export async function sendMany(base: string, n: number, path = '/', opts: SendOptions = {}, concurrency = 16): Promise<SentResponse[]> {
  const out: SentResponse[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      out[i] = await send(base, path, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

export interface RawExchange {
  /** Everything the server wrote. */
  text: string;
  /** True when the server closed the connection (false: we gave up after the timeout). */
  closed: boolean;
}

/** Writes `payload` on a fresh connection and collects the answer until the server closes it or `timeoutMs`. */
export function rawExchange(port: number, payload: string | Buffer, timeoutMs = 2000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, timeoutMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
      else reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
  });
}

/** Parses the head of a raw HTTP/1.1 response: status and lower-cased headers (repeated ones joined). */
export function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i === -1) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: end === -1 ? '' : text.slice(end + 4) };
}

/** Polls `check` until it returns true (every 10 ms, at most `timeoutMs`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A load generator and an upstream that do as little as HTTP/1.1 allows, for benchmarks whose subject
 * is the proxy's own cost per request. On a 2-core host the undici load generator (load.ts) and the
 * node:http upstream (upstreams.ts) together need more CPU per request than the proxy between them, so
 * a closed loop measures them as much as the proxy — and every header the proxy adds is parsed into
 * objects twice more. These keep requests and responses as bytes: GET without a body only, answers
 * with a Content-Length body only; anything else is an error, never silently mis-measured.
 */
import net from 'node:net';
import { summarize } from './histogram';
import type { LoadResult } from './load';

const HEAD_END = '\r\n\r\n';
const CANNED = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nkeep-alive: timeout=60\r\n\r\n{"ok":true}';

/** An upstream answering every request head at once with a fixed 200. Requests with a body are refused. */
export async function startRawUpstream(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let answers = '';
      let end: number;
      while ((end = pending.indexOf(HEAD_END)) !== -1) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + HEAD_END.length);
        if (/\r\n(content-length: *[1-9]|transfer-encoding:)/i.test(head)) {
          socket.destroy(); // a body this upstream would not read: fail the request, loudly
          return;
        }
        answers += CANNED;
      }
      if (answers) socket.write(answers);
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export interface RawLoadOptions {
  port: number;
  path: string;
  connections: number;
  durationMs: number;
}

/**
 * Closed loop over raw sockets: each connection sends its next GET when the previous response (status
 * and Content-Length body) is in. A non-200, a response without Content-Length or a closed connection
 * counts as an error; a closed connection is reopened.
 */
export async function runRawLoad(opts: RawLoadOptions): Promise<LoadResult> {
  const request = `GET ${opts.path} HTTP/1.1\r\nhost: 127.0.0.1:${opts.port}\r\n\r\n`;
  const samples: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + opts.durationMs;

  const connection = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const socket = net.connect(opts.port, '127.0.0.1');
      socket.setNoDelay(true);
      let pending = '';
      let sentAt = 0;
      let closed = false;
      const send = (): void => {
        if (performance.now() >= deadline) {
          closed = true;
          socket.end();
          resolve();
          return;
        }
        sentAt = performance.now();
        socket.write(request);
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        for (;;) {
          const end = pending.indexOf(HEAD_END);
          if (end === -1) return;
          const length = /\r\ncontent-length: *(\d+)/i.exec(pending.slice(0, end));
          if (!length) {
            errors++;
            socket.destroy();
            return;
          }
          const total = end + HEAD_END.length + Number(length[1]);
          if (pending.length < total) return;
          if (pending.startsWith('HTTP/1.1 200 ')) samples.push(performance.now() - sentAt);
          else errors++;
          pending = pending.slice(total);
          send();
          if (closed) return;
        }
      });
      const reopen = (): void => {
        if (closed) return;
        closed = true;
        errors++;
        socket.destroy();
        if (performance.now() < deadline) void connection().then(resolve);
        else resolve();
      };
      socket.on('error', reopen);
      socket.on('close', reopen);
    });

  await Promise.all(Array.from({ length: opts.connections }, connection));
  const elapsedMs = performance.now() - started;
  return { latency: summarize(samples), samplesMs: samples, requests: samples.length, errors, elapsedMs, requestsPerSec: (samples.length * 1000) / elapsedMs };
}

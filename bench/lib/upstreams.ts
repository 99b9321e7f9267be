/**
 * Fixed-behaviour HTTP upstreams for benchmarks, run as their own process so they neither share an
 * event loop with the load generator nor with the process under test:
 *
 *   node dist/bench/lib/upstreams.js name=delayMs|raw [name=delayMs|raw ...]
 *
 * Each name gets a server on 127.0.0.1 answering 200 with a small body after delayMs (0 = at once),
 * after reading the request body; `raw` is raw-http.ts's minimal upstream (GET only, answers at once).
 * Prints {"name": port, ...} as one line, then serves until killed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRawUpstream } from './raw-http';

const REPLY = Buffer.from('{"ok":true}');

async function startDelayServer(delayMs: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': REPLY.length });
        res.end(REPLY);
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function main(specs: string[]): Promise<void> {
  const ports: Record<string, number> = {};
  for (const spec of specs) {
    const [name, delay] = spec.split('=');
    const server = delay === 'raw' ? await startRawUpstream() : await startDelayServer(Number(delay ?? 0));
    ports[name] = (server.address() as AddressInfo).port;
  }
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) void main(process.argv.slice(2));

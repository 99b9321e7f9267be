/**
 * The yardstick: @fastify/http-proxy (reply-from over undici, no mirroring) in its own process.
 *   node dist/bench/lib/http-proxy-baseline.js <upstream-port>
 * Prints {"port": N} as one line, then serves until killed.
 */
import Fastify from 'fastify';
import httpProxy from '@fastify/http-proxy';

async function main(upstreamPort: number): Promise<void> {
  const app = Fastify({ logger: false });
  await app.register(httpProxy, { upstream: `http://127.0.0.1:${upstreamPort}` });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main(Number(process.argv[2]));

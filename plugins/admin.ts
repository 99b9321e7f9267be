/** The admin endpoints (Envoy's admin API subset) on the admin listener. Logic lives in src/admin. */
import fp from 'fastify-plugin';
import type { FastifyReply } from 'fastify';
import type { Gateway } from '../src/gateway/gateway';
import { buildConfigDump } from '../src/admin/config-dump';
import { clustersJson, clustersText } from '../src/admin/clusters-text';
import { serverInfo } from '../src/admin/server-info';
import { statsFilter } from '../src/admin/stats-filter';

export interface AdminPluginOptions {
  gateway: Gateway;
  commandLine: Record<string, unknown>;
  /** POST /quitquitquit */
  onQuit?: () => void;
}

const TEXT = 'text/plain; charset=UTF-8';

export default fp<AdminPluginOptions>(async (app, { gateway, commandLine, onQuit }) => {
  const dynamicClusterNames = (): Set<string> => new Set(gateway.describe.dynamic?.clusters.map((c) => c.name) ?? []);
  const post = (path: string, action: (reply: FastifyReply) => unknown): void => {
    app.post(path, async (_req, reply) => action(reply));
    // Envoy refuses mutations over GET with 400.
    app.get(path, async (_req, reply) => reply.code(400).type(TEXT).send('This endpoint requires POST\n'));
  };

  app.get('/ready', async (_req, reply) => reply.code(gateway.state === 'LIVE' ? 200 : 503).type(TEXT).send(`${gateway.state}\n`));
  app.get('/server_info', async () => serverInfo(gateway, commandLine));
  app.get<{ Querystring: { include_eds?: string } }>('/config_dump', async (req) => buildConfigDump(gateway.describe, { eds: req.query.include_eds !== undefined }));
  app.get<{ Querystring: { format?: string } }>('/clusters', async (req, reply) =>
    req.query.format === 'json' ? clustersJson(gateway.clusters.all(), dynamicClusterNames()) : reply.type(TEXT).send(clustersText(gateway.clusters.all(), dynamicClusterNames())));
  app.get<{ Querystring: { filter?: string; usedonly?: string; format?: string } }>('/stats', async (req, reply) => {
    const filter = statsFilter(req.query.filter);
    if (filter === null) return reply.code(400).type(TEXT).send(`Invalid re2 regex: ${req.query.filter}\n`);
    if (req.query.format === 'prometheus') return reply.type('text/plain; version=0.0.4').send(gateway.stats.prometheus());
    if (req.query.format === 'json') return gateway.stats.json(filter);
    return reply.type(TEXT).send(gateway.stats.text(filter, req.query.usedonly !== undefined));
  });
  app.get('/stats/prometheus', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(gateway.stats.prometheus()));
  app.get('/listeners', async (_req, reply) => {
    const lines = [...gateway.current.listeners.values()].map((l) => `${l.model.name}::${l.model.host}:${gateway.listenerPort(l.model.name) ?? l.model.port}\n`);
    return reply.type(TEXT).send(lines.join(''));
  });
  post('/healthcheck/fail', (reply) => {
    gateway.state = 'DRAINING';
    return reply.type(TEXT).send('OK\n');
  });
  post('/healthcheck/ok', (reply) => {
    if (gateway.state === 'DRAINING') gateway.state = 'LIVE';
    return reply.type(TEXT).send('OK\n');
  });
  post('/quitquitquit', (reply) => {
    setImmediate(() => onQuit?.());
    return reply.type(TEXT).send('OK\n');
  });
}, { name: 'shadowgate-admin' });

/**
 * The mirror step (Envoy's request_mirror_policies): after the router and the fault filter, before the
 * primary. Thin: decisions and sending live in src/mirror. Fire and forget — this hook never waits for a
 * shadow; when a shadow needs the body, the primary reads it through the tee it returns.
 */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { GatewayPluginOptions } from './options';
import { RequestMirror } from '../src/mirror/request-mirror';
import { DEFAULT_SHADOW_OPTIONS } from '../src/mirror/shadow-options';
import { defaultRandom } from '../src/routing/route-table';

/** Same rule as the primary (RFC 9112 §6.3): a body when the request says it has one. */
function clientBody(request: FastifyRequest): FastifyRequest['raw'] | null {
  const h = request.headers;
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0') ? request.raw : null;
}

export default fp<GatewayPluginOptions>(async (app, opts) => {
  const mirror = new RequestMirror({
    clusters: opts.clusters,
    stats: opts.stats,
    random: opts.random ?? defaultRandom,
    options: opts.shadow ?? DEFAULT_SHADOW_OPTIONS,
    ...(opts.tracer.enabled ? { tracer: opts.tracer } : {}),
    log: (msg) => app.log.debug(msg),
  });
  app.addHook('preHandler', (request, reply, done) => {
    const gw = request.gw;
    const body = gw.upstreamBody !== undefined ? gw.upstreamBody : clientBody(request);
    const tee = mirror.start({ method: request.method, rawHeaders: request.headers, body, gw, response: reply.raw });
    if (tee) gw.upstreamBody = tee;
    done();
  });
}, { name: 'shadowgate-mirror', dependencies: ['shadowgate-router'] });

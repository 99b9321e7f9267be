/**
 * Takes the current configuration snapshot once per request: every later step of the chain reads
 * the same snapshot, so a config swap mid-request cannot mix two versions.
 */
import fp from 'fastify-plugin';
import type { GatewayPluginOptions } from './options';
import type { RequestState } from '../src/gateway/request-state';
import { bodyUnread } from '../src/gateway/request-body';

export default fp<GatewayPluginOptions>(async (app, opts) => {
  app.decorateRequest('gw', null as unknown as RequestState);
  app.addHook('onRequest', (request, reply, done) => {
    const snapshot = opts.store.current;
    const listener = snapshot.listeners.get(opts.listenerName);
    if (!listener) {
      // The listener was removed by an update and is draining: refuse new requests as Envoy does.
      reply.code(503).header('connection', 'close').send();
      return;
    }
    request.gw = {
      snapshot,
      listener,
      startedAt: performance.now(),
      requestId: '',
      upstreamHeaders: {},
      upstreamPath: request.url,
    };
    listener.stats.rqTotal.inc();
    listener.stats.rqActive.inc();
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    // Envoy's HTTP/1 connection manager closes the connection when the response is complete before the
    // request (a local reply mid-upload, an upstream answering early): the rest of the body is never read.
    // Node would keep such a connection with the unread body in its parser, hung for good.
    if (bodyUnread(request.raw)) request.raw.socket?.destroySoon();
    const gw = request.gw;
    if (gw) {
      gw.listener.stats.rqActive.dec();
      gw.listener.stats.response(reply.statusCode);
    }
    done();
  });
}, { name: 'shadowgate-config-store' });

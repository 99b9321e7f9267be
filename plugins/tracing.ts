/**
 * The ingress (SERVER) span: started before routing so 404s and local replies are traced too, named
 * after the route once it is known, ended with the final status. Logic lives in src/telemetry.
 */
import fp from 'fastify-plugin';
import type { GatewayPluginOptions } from './options';

export default fp<GatewayPluginOptions>(async (app, { tracer }) => {
  if (!tracer.enabled) return;
  app.addHook('onRequest', (request, _reply, done) => {
    request.gw.span = tracer.startServerSpan(request.headers, {
      method: request.method,
      path: request.url,
      host: request.headers.host ?? '',
      scheme: 'http',
      peerAddress: request.socket.remoteAddress ?? '',
    });
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const gw = request.gw;
    const span = gw?.span;
    if (span) {
      if (gw.route) span.setRoute(gw.route.name, gw.route.operation !== gw.route.name ? gw.route.operation : undefined);
      if (gw.requestId) span.setAttribute('guid:x-request-id', gw.requestId);
      span.end(reply.statusCode);
    }
    done();
  });
}, { name: 'shadowgate-tracing', dependencies: ['shadowgate-config-store'] });

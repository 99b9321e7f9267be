/**
 * The primary leg: the catch-all route whose handler forwards the request to the picked cluster and
 * streams the response back, or answers with Envoy's local reply for the failure.
 */
import http from 'node:http';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayPluginOptions } from './options';
import { forward } from '../src/upstream/forwarder';
import { localReplyFor } from '../src/errors';
import { downstreamResponseHeaders } from '../src/gateway/response-headers';
import { sendLocalReply } from './local-reply';
import { declaresBody } from '../src/gateway/request-body';

export default fp<GatewayPluginOptions>(async (app, opts) => {
  // The body is passed through unparsed and streamed to the upstream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  async function handler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const gw = request.gw;
    const action = gw.forward!;
    const target = gw.target!;
    const cluster = opts.clusters.get(target.clusterName);
    if (!cluster) return sendLocalReply(request, reply, { status: action.clusterNotFoundStatus, body: '', flag: 'NC' });
    const span = gw.span && opts.tracer.startClientSpan(gw.span, {
      name: 'primary',
      cluster: cluster.name,
      method: request.method,
      url: gw.upstreamPath,
      host: String(gw.upstreamHeaders.host ?? ''),
      shadow: false,
    });
    span?.inject(gw.upstreamHeaders);
    const outcome = await forward(cluster, {
      method: request.method,
      path: gw.upstreamPath,
      headers: gw.upstreamHeaders,
      body: gw.upstreamBody !== undefined ? gw.upstreamBody : declaresBody(request.headers) ? request.raw : null,
      timeoutMs: action.timeoutMs,
      autoHostRewrite: action.autoHostRewrite,
      downstream: reply.raw,
    });
    if (!outcome.ok) {
      span?.end(undefined, outcome.failure.kind);
      return sendLocalReply(request, reply, localReplyFor(outcome.failure), target.responseHeaderOps);
    }
    // Only a recorded span has anything to end; the listener costs every shed or unsampled request.
    if (span?.recording) reply.raw.once('close', () => span.end(outcome.statusCode, reply.raw.writableFinished ? undefined : 'downstream reset'));
    const headers = downstreamResponseHeaders(gw.listener.hcm, outcome.headers, target.responseHeaderOps, outcome.serviceTimeMs, gw.requestId);
    return reply.code(outcome.statusCode).headers(headers).send(outcome.body);
  }

  // Envoy proxies any method; Fastify knows the common ones and is taught the rest (CONNECT is not proxied).
  for (const method of http.METHODS) {
    if (method !== 'CONNECT' && !app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
  app.all('*', handler);
}, { name: 'shadowgate-primary', dependencies: ['shadowgate-router'] });

/**
 * Envoy routing on our own route table: Fastify freezes its router at start, and xDS changes routes at
 * any time, so there is one catch-all route (registered by the primary plugin) and matching happens here.
 * Also the HCM's header handling, redirects and direct responses.
 */
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayPluginOptions } from './options';
import { prepareDownstreamRequest } from '../src/gateway/downstream-request';
import { finalizeUpstreamRequest } from '../src/gateway/upstream-request';
import { defaultRandom, pickTarget } from '../src/routing/route-table';
import { buildRedirectLocation } from '../src/routing/redirect';
import type { LocalAction } from '../src/routing/compiled-route';
import { sendLocalReply } from './local-reply';

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)/i;

/**
 * RFC 9112 §3.2.2 absolute-form (`GET http://host/path HTTP/1.1`): Envoy's HTTP/1 codec (allow_absolute_url,
 * on by default) takes :authority and :path from the URL, so routing and the upstream see origin-form.
 */
function toOriginForm(raw: FastifyRequest['raw']): void {
  const m = ABSOLUTE_FORM.exec(raw.url ?? '');
  if (!m) return;
  raw.url = m[2] === '' ? '/' : m[2].startsWith('/') ? m[2] : `/${m[2]}`;
  if (m[1] !== '') raw.headers.host = m[1];
}

export default fp<GatewayPluginOptions>(async (app, opts) => {
  const random = opts.random ?? defaultRandom;

  app.addHook('onRequest', (request, reply, done) => {
    const gw = request.gw;
    const { hcm, model, routeTable, stats } = gw.listener;
    if (request.raw.url !== undefined && request.raw.url.charCodeAt(0) !== 47 /* '/' */) toOriginForm(request.raw);
    gw.upstreamPath = request.url;
    // The HCM's request checks (ConnectionManagerImpl::ActiveStream::decodeHeaders): HTTP/1.0 only with
    // accept_http_10 (else 426), a Host required (else 400), both with an empty body.
    if (request.raw.httpVersionMinor === 0 && request.raw.httpVersionMajor === 1) {
      if (!hcm.acceptHttp10) {
        sendLocalReply(request, reply, { status: 426, body: '', flag: '' });
        return;
      }
      if (request.headers.host === undefined && hcm.defaultHostForHttp10) request.raw.headers.host = hcm.defaultHostForHttp10;
    }
    if (!request.headers.host) {
      sendLocalReply(request, reply, { status: 400, body: '', flag: '' });
      return;
    }
    // strip_matching_host_port compares with the port the connection arrived on (Envoy: the local address).
    const down = prepareDownstreamRequest(hcm, request.headers, request.socket.remoteAddress ?? '', request.socket.localPort ?? model.port, routeTable?.internalOnlyHeaders, opts.tracer.newUpstreamHeaders());
    gw.requestId = down.requestId;
    gw.upstreamHeaders = down.headers;
    // Envoy draws one random value per stream (the stream id) and uses it for every runtime_fraction of the
    // route table and for the weighted-cluster pick, so consecutive 50 % routes see the same value. Drawn
    // on first use: a request that needs none takes none from the source.
    let streamRandom: number | undefined;
    const sameRandom = (): number => (streamRandom ??= random());
    const view = { method: request.method, authority: down.authority, path: request.url, headers: down.headers, scheme: 'http', rawHeaders: request.raw.rawHeaders };
    const route = routeTable?.match(view, sameRandom);
    if (!route) {
      stats.noRoute.inc();
      sendLocalReply(request, reply, { status: 404, body: '', flag: 'NR' });
      return;
    }
    gw.route = route;
    const action = route.action;
    if (action.kind !== 'route') {
      sendLocalAction(request, reply, action, down.authority);
      return;
    }
    gw.forward = action;
    let target;
    if (action.clusterHeader !== undefined) {
      const value = down.headers[action.clusterHeader];
      const name = Array.isArray(value) ? value[0] : value;
      target = name && action.headerTarget ? { clusterName: name, ...action.headerTarget } : undefined;
    } else {
      target = pickTarget(action, sameRandom);
    }
    const cluster = target && opts.clusters.get(target.clusterName);
    if (!target || !cluster) {
      // Envoy: cluster_not_found_response_code (503 by default), empty body, flag NC.
      stats.noCluster.inc();
      sendLocalReply(request, reply, { status: action.clusterNotFoundStatus, body: '', flag: 'NC' });
      return;
    }
    gw.target = target;
    gw.upstreamPath = finalizeUpstreamRequest(action, target, down.headers, request.url, hcm.suppressEnvoyHeaders);
    // auto_host_rewrite swaps Host for the endpoint's DNS name (in the forwarder, once the host is picked);
    // Envoy keeps the replaced Host in x-envoy-original-host, as for host_rewrite_literal.
    if (action.autoHostRewrite && cluster.resolvesDns && !hcm.suppressEnvoyHeaders && typeof down.headers.host === 'string') {
      down.headers['x-envoy-original-host'] = down.headers.host;
    }
    done();
  });

  function sendLocalAction(request: FastifyRequest, reply: FastifyReply, action: LocalAction, authority: string): void {
    const stats = request.gw.listener.stats;
    const xfp = request.gw.upstreamHeaders['x-forwarded-proto'];
    const target = { scheme: 'http', forwardedProto: typeof xfp === 'string' ? xfp : 'http', authority, path: request.url };
    if (action.redirect) {
      stats.redirect.inc();
      reply.header('location', buildRedirectLocation(action.redirect, target, action.matchedPrefixLength, action.redirectRegexRewrite));
      sendLocalReply(request, reply, { status: action.redirect.responseCode, body: '', flag: '' }, action.responseHeaderOps);
      return;
    }
    const direct = action.directResponse!;
    stats.directResponse.inc();
    // Envoy (router.cc) adds a Location, the request's own URL, to 201 and 3xx direct responses.
    if (direct.status === 201 || (direct.status >= 300 && direct.status < 400)) reply.header('location', buildRedirectLocation(undefined, target));
    sendLocalReply(request, reply, { status: direct.status, body: direct.body ?? '', flag: '' }, action.responseHeaderOps);
  }
}, { name: 'shadowgate-router', dependencies: ['shadowgate-config-store'] });

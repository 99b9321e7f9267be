/** Sends an Envoy-style local reply (text/plain, exact body) with the route's response headers. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LocalReply } from '../src/errors';
import { applyLocalResponseHeaders } from '../src/gateway/response-headers';
import type { CompiledHeaderOp } from '../src/routing/header-mutations';
import type { HeaderMap } from '../src/gateway/hop-by-hop';
import { bodyUnread } from '../src/gateway/request-body';

export function sendLocalReply(request: FastifyRequest, reply: FastifyReply, local: LocalReply, ops: readonly CompiledHeaderOp[] = []): FastifyReply {
  const gw = request.gw;
  gw.responseFlag = local.flag;
  const headers: HeaderMap = { ...local.headers };
  if (local.body !== '') headers['content-type'] = 'text/plain';
  // Answered before the request body was read: Envoy closes the HTTP/1 connection after this reply.
  if (bodyUnread(request.raw)) headers.connection = 'close';
  applyLocalResponseHeaders(gw.listener.hcm, headers, ops, gw.requestId);
  // Envoy's empty local replies (404 NR, 503 NC) carry no content-type, only content-length: 0.
  return reply.code(local.status).headers(headers).send(local.body === '' ? undefined : local.body);
}

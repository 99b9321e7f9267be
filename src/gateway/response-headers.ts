/** Headers of a proxied response as Envoy sends them downstream. */
import type { IncomingHttpHeaders } from 'node:http';
import { HttpConnectionManagerModel } from '../config/model';
import { CompiledHeaderOp, applyHeaderOps } from '../routing/header-mutations';
import { HeaderMap, copyWithoutHopByHop } from './hop-by-hop';

export function downstreamResponseHeaders(hcm: HttpConnectionManagerModel, upstream: IncomingHttpHeaders, ops: readonly CompiledHeaderOp[], serviceTimeMs: number | undefined, requestId: string): HeaderMap {
  const headers = copyWithoutHopByHop(upstream);
  if (serviceTimeMs !== undefined && !hcm.suppressEnvoyHeaders) headers['x-envoy-upstream-service-time'] = String(serviceTimeMs);
  applyLocalResponseHeaders(hcm, headers, ops, requestId);
  return headers;
}

/** What every response gets, proxied or local: route response mutations, server, x-request-id. */
export function applyLocalResponseHeaders(hcm: HttpConnectionManagerModel, headers: HeaderMap, ops: readonly CompiledHeaderOp[], requestId: string): void {
  applyHeaderOps(headers, ops);
  // server_header_transformation defaults to OVERWRITE.
  headers.server = hcm.serverName;
  if (hcm.alwaysSetRequestIdInResponse && requestId) headers['x-request-id'] = requestId;
}

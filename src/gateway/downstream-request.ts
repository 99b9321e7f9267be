/**
 * What the HttpConnectionManager does to a request before routing (Envoy's ConnectionManagerUtility::
 * mutateRequestHeaders): hop-by-hop headers out, x-envoy control headers from outside out, XFF and
 * x-forwarded-proto per use_remote_address / xff_num_trusted_hops, x-request-id, host port stripping.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpConnectionManagerModel } from '../config/model';
import { portStart } from '../routing/host';
import { HeaderMap, copyWithoutHopByHop } from './hop-by-hop';

/**
 * No address is internal since Envoy 1.33 unless internal_address_config lists it (not supported
 * here), so every request is external: these control headers are removed (cleanInternalHeaders).
 */
const INTERNAL_ONLY = new Set([
  'x-envoy-internal', 'x-envoy-retriable-status-codes', 'x-envoy-retriable-header-names', 'x-envoy-retry-on', 'x-envoy-retry-grpc-on',
  'x-envoy-max-retries', 'x-envoy-upstream-alt-stat-name', 'x-envoy-upstream-rq-timeout-ms', 'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response', 'x-envoy-expected-rq-timeout-ms', 'x-envoy-force-trace', 'x-envoy-ip-tags',
  'x-envoy-original-url', 'x-envoy-hedge-on-per-try-timeout', 'x-envoy-external-address',
]);
/** Additionally removed on edge requests (use_remote_address: true). */
const EDGE_ONLY = new Set([...INTERNAL_ONLY, 'x-envoy-decorator-operation', 'x-envoy-downstream-service-cluster', 'x-envoy-downstream-service-node']);

export interface DownstreamRequest {
  headers: HeaderMap;
  requestId: string;
  /** Host after the HCM's port stripping; what vhost matching sees. */
  authority: string;
}

export function prepareDownstreamRequest(hcm: HttpConnectionManagerModel, raw: IncomingHttpHeaders, remoteAddress: string, listenerPort: number, internalOnlyHeaders?: ReadonlySet<string>, into?: HeaderMap): DownstreamRequest {
  const edge = hcm.useRemoteAddress;
  const headers = copyWithoutHopByHop(raw, edge ? EDGE_ONLY : INTERNAL_ONLY, into);
  if (internalOnlyHeaders) for (const h of internalOnlyHeaders) delete headers[h];

  if (edge) {
    if (!hcm.skipXffAppend) {
      const xff = headers['x-forwarded-for'];
      headers['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(',') : xff},${remoteAddress}` : remoteAddress;
    }
    headers['x-envoy-external-address'] = trustedClientAddress(raw, remoteAddress, hcm.xffNumTrustedHops);
    // An untrusted client cannot claim https over plain HTTP: without trusted hops the scheme we accepted
    // on overwrites it; a trusted proxy in front (xff_num_trusted_hops > 0) keeps the one it set.
    if (hcm.xffNumTrustedHops === 0 || headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = 'http';
  } else if (headers['x-forwarded-proto'] === undefined) {
    headers['x-forwarded-proto'] = 'http';
  }

  let requestId = typeof headers['x-request-id'] === 'string' ? headers['x-request-id'] : '';
  // Edge requests get a fresh id unless preserve_external_request_id; others keep a valid incoming one.
  if (hcm.generateRequestId && (requestId === '' || (edge && !hcm.preserveExternalRequestId))) {
    requestId = randomUUID();
    headers['x-request-id'] = requestId;
  }

  let authority = typeof raw.host === 'string' ? raw.host : '';
  if (hcm.stripPortMode !== 'none') {
    const i = portStart(authority);
    if (i !== -1 && (hcm.stripPortMode === 'any' || authority.slice(i + 1) === String(listenerPort))) {
      authority = authority.slice(0, i);
      headers.host = authority;
    }
  }
  return { headers, requestId, authority };
}

/**
 * The client address Envoy trusts: the remote peer, or with xff_num_trusted_hops N the N-th address from
 * the right of x-forwarded-for (before our own append).
 */
function trustedClientAddress(raw: IncomingHttpHeaders, remoteAddress: string, trustedHops: number): string {
  if (trustedHops === 0) return remoteAddress;
  const xff = raw['x-forwarded-for'];
  const list = (Array.isArray(xff) ? xff.join(',') : xff ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length >= trustedHops ? list[list.length - trustedHops] : remoteAddress;
}

/**
 * The headers a shadow carries: a copy of the primary's upstream headers taken after the route's
 * finalizeRequestHeaders (header mutations, path/host rewrites, x-envoy-expected-rq-timeout-ms), so the
 * same x-request-id and x-forwarded-for; then what Envoy changes for the copy.
 */
import { networkInterfaces } from 'node:os';
import { HeaderMutationModel, MirrorPolicyModel } from '../config/model';
import { HeaderMap } from '../gateway/hop-by-hop';
import { CompiledHeaderOp, applyHeaderOps } from '../routing/header-mutations';
import { shadowHost } from '../routing/host';
import { ShadowOptions } from './shadow-options';

/**
 * Envoy's LocalInfo address, which its async client appends to x-forwarded-for: the first non-loopback
 * IPv4 address of the machine, else 127.0.0.1 (Network::Utility::getLocalAddress).
 */
export function envoyLocalAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Envoy's shadow Host: the policy's host_rewrite_literal, else the (already rewritten) host with "-shadow". */
export function shadowAuthority(host: string | undefined, policy: Pick<MirrorPolicyModel, 'hostRewriteLiteral' | 'disableShadowHostSuffixAppend'>): string | undefined {
  // host_rewrite_literal implies disable_shadow_host_suffix_append (route_components.proto, field 8).
  if (policy.hostRewriteLiteral !== undefined) return policy.hostRewriteLiteral;
  if (host === undefined || policy.disableShadowHostSuffixAppend) return host;
  return shadowHost(host);
}

const compiledMutations = new WeakMap<readonly HeaderMutationModel[], CompiledHeaderOp[]>();

/** request_headers_mutations as the route's header ops; compiled once per (frozen) policy. */
function mutationOps(mutations: readonly HeaderMutationModel[]): CompiledHeaderOp[] {
  let ops = compiledMutations.get(mutations);
  if (!ops) {
    ops = mutations.map((m) => (m.kind === 'remove' ? { remove: m.key } : { add: m.option }));
    compiledMutations.set(mutations, ops);
  }
  return ops;
}

export function buildShadowHeaders(upstream: HeaderMap, policy: MirrorPolicyModel, options: ShadowOptions, localAddress: string): HeaderMap {
  const headers: HeaderMap = { ...upstream };
  // Mutations are applied to each mirrored request in order (RequestMirrorPolicy field 7).
  if (policy.requestHeadersMutations.length > 0) applyHeaderOps(headers, mutationOps(policy.requestHeadersMutations));
  const host = shadowAuthority(typeof headers.host === 'string' ? headers.host : undefined, policy);
  if (host !== undefined) headers.host = host;
  // AsyncStreamImpl::sendHeaders: send_internal and send_xff default to true for every async request.
  headers['x-envoy-internal'] = 'true';
  const xff = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff === undefined || xff === '' ? localAddress : `${Array.isArray(xff) ? xff.join(',') : xff},${localAddress}`;
  // Last, so no mutation can put a stripped credential back.
  for (const h of options.stripHeaders) delete headers[h];
  return headers;
}

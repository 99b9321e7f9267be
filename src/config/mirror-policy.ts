/** RouteAction.RequestMirrorPolicy (route_components.proto), at route-config, vhost and route level. */
import { MirrorPolicyModel } from './model';
import { Problems, joinPath } from './problems';
import { readBool, readList, readMessage, readString } from './proto-json';
import { readRuntimeFraction } from './matchers';
import { readHeaderMutationList } from './header-options';

const MIRROR_FIELDS = [
  'cluster',
  'cluster_header',
  'runtime_fraction',
  'trace_sampled',
  'disable_shadow_host_suffix_append',
  'request_headers_mutations',
  'host_rewrite_literal',
];

export function readMirrorPolicy(v: unknown, path: string, p: Problems): MirrorPolicyModel | undefined {
  const m = readMessage(v, path, p, { supported: MIRROR_FIELDS });
  if (!m) return undefined;
  const cluster = readString(m.cluster, joinPath(path, 'cluster'), p) || undefined;
  const clusterHeader = readString(m.cluster_header, joinPath(path, 'cluster_header'), p)?.toLowerCase() || undefined;
  if ((cluster === undefined) === (clusterHeader === undefined)) {
    // Envoy's message (ShadowPolicyImpl): exactly one of the two.
    p.add(path, 'Exactly one of cluster or cluster_header in request mirror policy need to be specified');
    return undefined;
  }
  const fraction = m.runtime_fraction === undefined
    ? { numerator: 100, denominator: 100 } // unset means every request is mirrored
    : readRuntimeFraction(m.runtime_fraction, joinPath(path, 'runtime_fraction'), p);
  const traceSampled = readBool(m.trace_sampled, joinPath(path, 'trace_sampled'), p);
  const hostRewriteLiteral = readString(m.host_rewrite_literal, joinPath(path, 'host_rewrite_literal'), p) || undefined;
  const disable = readBool(m.disable_shadow_host_suffix_append, joinPath(path, 'disable_shadow_host_suffix_append'), p) ?? false;
  const mutations = readHeaderMutationList(m.request_headers_mutations, joinPath(path, 'request_headers_mutations'), p);
  if (mutations.length > 1000) p.add(joinPath(path, 'request_headers_mutations'), 'at most 1000 entries');
  if (!fraction) return undefined;
  return {
    ...(cluster !== undefined ? { cluster } : { clusterHeader }),
    fraction,
    ...(traceSampled !== undefined ? { traceSampled } : {}),
    // host_rewrite_literal implies no suffix (proto doc of field 8).
    disableShadowHostSuffixAppend: disable || hostRewriteLiteral !== undefined,
    ...(hostRewriteLiteral !== undefined ? { hostRewriteLiteral } : {}),
    requestHeadersMutations: mutations,
  };
}

export function readMirrorPolicies(v: unknown, path: string, p: Problems): MirrorPolicyModel[] {
  const out: MirrorPolicyModel[] = [];
  readList(v, path, p).forEach((item, i) => {
    const policy = readMirrorPolicy(item, joinPath(path, i), p);
    if (policy) out.push(policy);
  });
  return out;
}

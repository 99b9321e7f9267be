/** The per-route structures built once per snapshot, read on every request. */
import { DirectResponseModel, MirrorPolicyModel, RedirectModel } from '../config/model';
import { CompiledHeaderOp } from './header-mutations';
import { RequestPredicate } from './matchers';

/** One upstream cluster a route may send to, with every header mutation for that choice pre-flattened. */
export interface ClusterTarget {
  clusterName: string;
  requestHeaderOps: readonly CompiledHeaderOp[];
  responseHeaderOps: readonly CompiledHeaderOp[];
  hostRewriteLiteral?: string;
}

export interface ForwardAction {
  kind: 'route';
  /** A single cluster, or weighted targets picked through `cumulativeWeights`. */
  targets: readonly ClusterTarget[];
  cumulativeWeights: readonly number[];
  totalWeight: number;
  /** cluster_header: the cluster name comes from this request header; `headerTarget` holds the mutations. */
  clusterHeader?: string;
  headerTarget?: Omit<ClusterTarget, 'clusterName'>;
  clusterNotFoundStatus: number;
  rewritePath?: (path: string) => string;
  autoHostRewrite: boolean;
  timeoutMs: number;
  /** The most specific non-empty list of route / virtual host / route configuration (never merged). */
  mirrorPolicies: readonly MirrorPolicyModel[];
}

export interface LocalAction {
  kind: 'redirect' | 'direct_response';
  redirect?: RedirectModel;
  directResponse?: DirectResponseModel;
  /** A redirect's regex_rewrite, compiled with the route rather than per request. */
  redirectRegexRewrite?: (path: string) => string;
  /** Length of the matched prefix (or `path`), for a redirect's prefix_rewrite. */
  matchedPrefixLength: number;
  responseHeaderOps: readonly CompiledHeaderOp[];
}

export interface CompiledRoute {
  name: string;
  virtualHostName: string;
  routeConfigName: string;
  /** Decorator operation, else the route name: what the ingress span is called. */
  operation: string;
  matches: RequestPredicate;
  action: ForwardAction | LocalAction;
}

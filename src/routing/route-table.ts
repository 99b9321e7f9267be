/**
 * A compiled RouteConfiguration: virtual hosts indexed by domain, routes in order (first match wins),
 * weighted picks from cumulative weights. Immutable; a config update builds a new table.
 */
import { RouteConfigModel, RouteForwardModel, RouteMatchModel, RouteModel, VirtualHostModel, WeightedClusterEntryModel, HeaderMutationsModel } from '../config/model';
import { compileRegexRewrite } from './path-rewrite';
import { VirtualHostIndex } from './virtual-host-index';
import { compileRouteMatch } from './matchers';
import { compileMutations } from './header-mutations';
import { ClusterTarget, CompiledRoute, ForwardAction, LocalAction } from './compiled-route';
import { RequestView } from './request-view';
import { stripPort } from './host';

export type RandomSource = () => number;

/** 32-bit unsigned random, the same range as Envoy's stream random for `% denominator` decisions. */
export const defaultRandom: RandomSource = () => (Math.random() * 0x1_0000_0000) >>> 0;

interface CompiledVirtualHost {
  name: string;
  routes: CompiledRoute[];
}

export class RouteTable {
  private readonly index: VirtualHostIndex<CompiledVirtualHost>;
  /** internal_only_headers: removed from external requests (every request, without internal_address_config). */
  readonly internalOnlyHeaders: ReadonlySet<string> | undefined;

  constructor(readonly config: RouteConfigModel) {
    this.internalOnlyHeaders = config.internalOnlyHeaders.length > 0 ? new Set(config.internalOnlyHeaders) : undefined;
    this.index = new VirtualHostIndex(config.virtualHosts.map((vh) => ({ domains: vh.domains, value: compileVirtualHost(config, vh) })));
  }

  /** The first matching route of the virtual host serving `req.authority`, or undefined (Envoy: 404 NR). */
  match(req: RequestView, random: RandomSource = defaultRandom): CompiledRoute | undefined {
    let host = req.authority.toLowerCase();
    if (this.config.ignorePortInHostMatching) host = stripPort(host);
    const vh = this.index.find(host);
    if (!vh) return undefined;
    for (const route of vh.routes) {
      if (route.matches(req, random)) return route;
    }
    return undefined;
  }
}

/** Picks the target for one request: a weighted draw, as Envoy's `random % total` walk over the list. */
export function pickTarget(action: ForwardAction, random: RandomSource = defaultRandom): ClusterTarget {
  if (action.targets.length === 1) return action.targets[0];
  const selected = random() % action.totalWeight;
  const cum = action.cumulativeWeights;
  for (let i = 0; i < cum.length; i++) if (selected < cum[i]) return action.targets[i];
  return action.targets[action.targets.length - 1];
}

function compileVirtualHost(rc: RouteConfigModel, vh: VirtualHostModel): CompiledVirtualHost {
  return { name: vh.name, routes: vh.routes.map((r, i) => compileRoute(rc, vh, r, i)) };
}

function compileRoute(rc: RouteConfigModel, vh: VirtualHostModel, r: RouteModel, index: number): CompiledRoute {
  const name = r.name || `${vh.name}/route_${index}`;
  const levels = [r, vh, rc];
  const mostSpecific = rc.mostSpecificHeaderMutationsWins;
  let action: ForwardAction | LocalAction;
  if (r.action.kind === 'route') {
    action = compileForward(r.action, r.match, rc, vh, (cluster) => ({
      requestHeaderOps: compileMutations(levels, 'request', mostSpecific, cluster),
      responseHeaderOps: compileMutations(levels, 'response', mostSpecific, cluster),
    }));
  } else {
    action = {
      kind: r.action.kind,
      ...(r.action.kind === 'redirect' ? { redirect: r.action } : { directResponse: r.action }),
      // The part of :path a redirect's prefix_rewrite replaces: the prefix, or the whole path for `path`.
      ...(r.action.kind === 'redirect' && r.action.regexRewrite ? { redirectRegexRewrite: compileRegexRewrite(r.action.regexRewrite) } : {}),
      matchedPrefixLength: r.match.pathKind === 'safe_regex' ? 0 : r.match.pathValue.length,
      responseHeaderOps: compileMutations(levels, 'response', mostSpecific),
    };
  }
  return {
    name,
    virtualHostName: vh.name,
    routeConfigName: rc.name,
    operation: r.decoratorOperation ?? name,
    matches: compileRouteMatch(r.match),
    action,
  };
}

type OpsFor = (extra?: HeaderMutationsModel) => Pick<ClusterTarget, 'requestHeaderOps' | 'responseHeaderOps'>;

function compileForward(a: RouteForwardModel, match: RouteMatchModel, rc: RouteConfigModel, vh: VirtualHostModel, opsFor: OpsFor): ForwardAction {
  const base = {
    kind: 'route' as const,
    clusterNotFoundStatus: a.clusterNotFoundStatus,
    autoHostRewrite: a.autoHostRewrite,
    timeoutMs: a.timeoutMs,
    mirrorPolicies: a.requestMirrorPolicies.length > 0 ? a.requestMirrorPolicies
      : vh.requestMirrorPolicies.length > 0 ? vh.requestMirrorPolicies : rc.requestMirrorPolicies,
    ...compileRewrite(a, match),
  };
  const literal = a.hostRewriteLiteral ? { hostRewriteLiteral: a.hostRewriteLiteral } : {};
  const spec = a.cluster;
  if (spec.kind === 'cluster') {
    return { ...base, targets: [{ clusterName: spec.name, ...opsFor(), ...literal }], cumulativeWeights: [1], totalWeight: 1 };
  }
  if (spec.kind === 'cluster_header') {
    return { ...base, targets: [], cumulativeWeights: [], totalWeight: 0, clusterHeader: spec.header, headerTarget: { ...opsFor(), ...literal } };
  }
  const targets = spec.clusters.map((c: WeightedClusterEntryModel) => ({
    clusterName: c.name,
    ...opsFor(c),
    // Envoy sets the weighted cluster's host_rewrite_literal first, then the route's: the route's wins.
    ...(a.hostRewriteLiteral ? literal : c.hostRewriteLiteral ? { hostRewriteLiteral: c.hostRewriteLiteral } : {}),
  }));
  let running = 0;
  const cumulativeWeights = spec.clusters.map((c) => (running += c.weight));
  return { ...base, targets, cumulativeWeights, totalWeight: spec.totalWeight };
}

function compileRewrite(a: RouteForwardModel, match: RouteMatchModel): { rewritePath?: (path: string) => string } {
  if (a.prefixRewrite !== undefined) {
    const replacement = a.prefixRewrite;
    // The matched part is replaced: the prefix for prefix matchers, the whole path for `path`.
    if (match.pathKind === 'path') {
      return { rewritePath: (path) => { const q = path.indexOf('?'); return replacement + (q === -1 ? '' : path.slice(q)); } };
    }
    const matchedLength = match.pathValue.length;
    return { rewritePath: (path) => replacement + path.slice(matchedLength) };
  }
  if (a.regexRewrite) return { rewritePath: compileRegexRewrite(a.regexRewrite) };
  return {};
}

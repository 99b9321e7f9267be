/** RouteConfiguration → VirtualHost → Route → RouteMatch (route.proto, route_components.proto). */
import { RouteConfigModel, RouteMatchModel, RouteModel, VirtualHostModel, HeaderMatcherModel, QueryParameterMatcherModel } from './model';
import { Problems, joinPath } from './problems';
import { isObject, readBool, readList, readMessage, readOneOf, readString, readStringList } from './proto-json';
import { readFractionalPercent, readHeaderMatcher, readQueryParameterMatcher, readRuntimeFraction } from './matchers';
import { regexError } from './regex';
import { HEADER_MUTATION_FIELDS, readHeaderMutations, readHeadersToRemove } from './header-options';
import { readMirrorPolicies } from './mirror-policy';
import { readDirectResponse, readRedirect, readRouteAction } from './route-action';
import { rememberIndex, sourceIndex } from './source-index';

export function readRouteConfiguration(v: unknown, path: string, p: Problems): RouteConfigModel | undefined {
  const m = readMessage(v, path, p, {
    supported: [
      'name', 'virtual_hosts', 'validate_clusters', 'most_specific_header_mutations_wins', 'request_mirror_policies',
      'ignore_port_in_host_matching', 'internal_only_headers', ...HEADER_MUTATION_FIELDS,
    ],
    unsupported: [
      'vhds', 'max_direct_response_body_size_bytes', 'cluster_specifier_plugins', 'ignore_path_parameters_in_path_matching',
      'typed_per_filter_config', 'metadata', 'vhost_header', 'request_response_headers_to_add',
    ],
  });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p) ?? '';
  const virtualHosts: VirtualHostModel[] = [];
  readList(m.virtual_hosts, joinPath(path, 'virtual_hosts'), p).forEach((item, i) => {
    const vh = readVirtualHost(item, joinPath(joinPath(path, 'virtual_hosts'), i), p);
    if (vh) virtualHosts.push(rememberIndex(vh, i));
  });
  checkDomains(virtualHosts, name, joinPath(path, 'virtual_hosts'), p);
  const validateClusters = readBool(m.validate_clusters, joinPath(path, 'validate_clusters'), p);
  return {
    name,
    virtualHosts,
    ...(validateClusters !== undefined ? { validateClusters } : {}),
    mostSpecificHeaderMutationsWins: readBool(m.most_specific_header_mutations_wins, joinPath(path, 'most_specific_header_mutations_wins'), p) ?? false,
    ignorePortInHostMatching: readBool(m.ignore_port_in_host_matching, joinPath(path, 'ignore_port_in_host_matching'), p) ?? false,
    requestMirrorPolicies: readMirrorPolicies(m.request_mirror_policies, joinPath(path, 'request_mirror_policies'), p),
    internalOnlyHeaders: readHeadersToRemove(m.internal_only_headers, joinPath(path, 'internal_only_headers'), p),
    ...readHeaderMutations(m, path, p),
  };
}

/**
 * Envoy's RouteMatcher rejects a route configuration where a domain appears twice, or "*" more than once
 * (messages as in config_impl.cc). Domains are compared lower-cased, as Envoy stores them.
 */
function checkDomains(vhosts: VirtualHostModel[], routeConfigName: string, path: string, p: Problems): void {
  const seen = new Set<string>();
  let wildcard = false;
  vhosts.forEach((vh, v) => {
    vh.domains.forEach((domain, d) => {
      const at = joinPath(joinPath(joinPath(path, sourceIndex(vh, v)), 'domains'), d);
      if (domain === '*') {
        if (wildcard) p.add(at, `Only a single wildcard domain is permitted in route ${routeConfigName}`);
        wildcard = true;
        return;
      }
      if (seen.has(domain)) p.add(at, `Only unique values for domains are permitted. Duplicate entry of domain ${domain} in route ${routeConfigName}`);
      seen.add(domain);
    });
  });
}

function readVirtualHost(v: unknown, path: string, p: Problems): VirtualHostModel | undefined {
  const m = readMessage(v, path, p, {
    supported: ['name', 'domains', 'routes', 'request_mirror_policies', ...HEADER_MUTATION_FIELDS],
    unsupported: [
      'matcher', 'require_tls', 'virtual_clusters', 'rate_limits', 'cors', 'typed_per_filter_config', 'include_request_attempt_count',
      'include_attempt_count_in_response', 'retry_policy', 'retry_policy_typed_config', 'hedge_policy', 'include_is_timeout_retry_header',
      'per_request_buffer_limit_bytes', 'request_body_buffer_limit', 'metadata',
    ],
  });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p);
  if (!name) p.add(joinPath(path, 'name'), 'is required');
  const domains = readStringList(m.domains, joinPath(path, 'domains'), p).map((d) => d.toLowerCase());
  if (domains.length === 0) p.add(joinPath(path, 'domains'), 'at least one domain is required');
  domains.forEach((d, i) => {
    if (d === '') p.add(joinPath(joinPath(path, 'domains'), i), 'must not be empty');
    else if (d !== '*' && d.slice(1, -1).includes('*')) p.add(joinPath(joinPath(path, 'domains'), i), `wildcard "*" is only allowed at the start or the end: "${d}"`);
  });
  const routes: RouteModel[] = [];
  readList(m.routes, joinPath(path, 'routes'), p).forEach((item, i) => {
    const r = readRoute(item, joinPath(joinPath(path, 'routes'), i), p);
    if (r) routes.push(rememberIndex(r, i));
  });
  return {
    name: name ?? '',
    domains,
    routes,
    requestMirrorPolicies: readMirrorPolicies(m.request_mirror_policies, joinPath(path, 'request_mirror_policies'), p),
    ...readHeaderMutations(m, path, p),
  };
}

function readRoute(v: unknown, path: string, p: Problems): RouteModel | undefined {
  const m = readMessage(v, path, p, {
    supported: ['name', 'match', 'route', 'redirect', 'direct_response', 'decorator', ...HEADER_MUTATION_FIELDS],
    unsupported: ['filter_action', 'non_forwarding_action', 'metadata', 'typed_per_filter_config', 'tracing', 'per_request_buffer_limit_bytes', 'stat_prefix', 'request_body_buffer_limit'],
  });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p) ?? '';
  const match = readRouteMatch(m.match, joinPath(path, 'match'), p);
  const which = readOneOf(m, ['route', 'redirect', 'direct_response'], path, p, true);
  const actionPath = which ? joinPath(path, which) : path;
  const action =
    which === 'route' ? readRouteAction(m.route, actionPath, p)
    : which === 'redirect' ? readRedirect(m.redirect, actionPath, p)
    : which === 'direct_response' ? readDirectResponse(m.direct_response, actionPath, p)
    : undefined;
  let decoratorOperation: string | undefined;
  if (m.decorator !== undefined) {
    const d = readMessage(m.decorator, joinPath(path, 'decorator'), p, { supported: ['operation', 'propagate'] });
    decoratorOperation = readString(d?.operation, joinPath(path, 'decorator.operation'), p) || undefined;
  }
  const mutations = readHeaderMutations(m, path, p);
  if (!match || !action) return undefined;
  if (action.kind === 'route' && action.prefixRewrite !== undefined && match.pathKind === 'safe_regex') {
    p.add(joinPath(path, 'route.prefix_rewrite'), 'Cannot use prefix_rewrite with matcher: safe_regex');
  }
  return { name, match, action, ...(decoratorOperation ? { decoratorOperation } : {}), ...mutations };
}

const PATH_SPECIFIERS = ['prefix', 'path', 'safe_regex', 'path_separated_prefix'] as const;

function readRouteMatch(v: unknown, path: string, p: Problems): RouteMatchModel | undefined {
  const m = readMessage(v, path, p, {
    supported: [...PATH_SPECIFIERS, 'case_sensitive', 'headers', 'query_parameters', 'runtime_fraction'],
    unsupported: ['connect_matcher', 'path_match_policy', 'grpc', 'tls_context', 'dynamic_metadata', 'filter_state', 'cookies'],
  });
  if (!m) return undefined;
  const pathKind = readOneOf(m, PATH_SPECIFIERS, path, p, true) as RouteMatchModel['pathKind'] | undefined;
  let pathValue: string | undefined;
  if (pathKind === 'safe_regex') {
    const r = readMessage(m.safe_regex, joinPath(path, 'safe_regex'), p, { supported: ['regex', 'google_re2'] });
    pathValue = readString(r?.regex, joinPath(path, 'safe_regex.regex'), p);
    const err = pathValue !== undefined ? regexError(pathValue) : 'is required';
    if (err) p.add(joinPath(path, 'safe_regex.regex'), err);
  } else if (pathKind) {
    pathValue = readString(m[pathKind], joinPath(path, pathKind), p);
    if (pathKind === 'path_separated_prefix' && pathValue !== undefined) {
      if (!pathValue.startsWith('/') || /[?#]/.test(pathValue) || (pathValue.endsWith('/') && pathValue !== '/')) {
        p.add(joinPath(path, pathKind), 'must start with "/", must not contain "?" or "#" and must not end with "/"');
      }
    }
  }
  const caseSensitive = readBool(m.case_sensitive, joinPath(path, 'case_sensitive'), p) ?? true;
  const headers: HeaderMatcherModel[] = [];
  readList(m.headers, joinPath(path, 'headers'), p).forEach((item, i) => {
    const h = readHeaderMatcher(item, joinPath(joinPath(path, 'headers'), i), p);
    if (h) headers.push(h);
  });
  const queryParameters: QueryParameterMatcherModel[] = [];
  readList(m.query_parameters, joinPath(path, 'query_parameters'), p).forEach((item, i) => {
    const q = readQueryParameterMatcher(item, joinPath(joinPath(path, 'query_parameters'), i), p);
    if (q) queryParameters.push(q);
  });
  let runtimeFraction;
  if (m.runtime_fraction !== undefined) {
    runtimeFraction = isObject(m.runtime_fraction) && 'default_value' in m.runtime_fraction
      ? readRuntimeFraction(m.runtime_fraction, joinPath(path, 'runtime_fraction'), p)
      : readFractionalPercent(m.runtime_fraction, joinPath(path, 'runtime_fraction'), p);
  }
  if (!pathKind || pathValue === undefined) return undefined;
  return { pathKind, pathValue, caseSensitive, headers, queryParameters, ...(runtimeFraction ? { runtimeFraction } : {}) };
}

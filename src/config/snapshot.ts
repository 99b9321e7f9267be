/**
 * The whole configuration a gateway serves, validated as one: listeners, route configurations
 * (RDS), clusters and endpoints (EDS). Used by the gateway at load and on every xDS update, by the
 * control plane before accepting a push, and by `shadowgate validate`: one definition of "valid".
 */
import { ClusterLoadAssignmentModel, ClusterModel, ListenerModel, MirrorPolicyModel, RouteConfigModel } from './model';
import { ConfigError, Problem, Problems, joinPath } from './problems';
import { readListener } from './listener';
import { readRouteConfiguration } from './route-config';
import { readCluster, readClusterLoadAssignment } from './cluster';
import { deepFreeze } from './freeze';
import { rememberIndex, sourceIndex } from './source-index';

export interface ResourceSet {
  listeners?: unknown[];
  routes?: unknown[];
  clusters?: unknown[];
  endpoints?: unknown[];
}

export interface ConfigSnapshot {
  readonly listeners: readonly ListenerModel[];
  /** Route configurations delivered by RDS (or pushed), by name. Inline ones live on their listener. */
  readonly routeConfigs: ReadonlyMap<string, RouteConfigModel>;
  /** Clusters by name; EDS clusters carry the endpoints of their ClusterLoadAssignment. */
  readonly clusters: ReadonlyMap<string, ClusterModel>;
  /** EDS clusters whose ClusterLoadAssignment has not arrived (still warming). */
  readonly warmingClusters: readonly string[];
  /** The resources as given, for /config_dump. */
  readonly resources: Readonly<Required<ResourceSet>>;
}

export interface ValidationResult {
  snapshot?: ConfigSnapshot;
  problems: Problem[];
  warnings: Problem[];
}

export interface BuildOptions {
  /** Prefix of every problem path, e.g. "static_resources." for a bootstrap. */
  pathPrefix?: string;
  /** Require every RDS name referenced by a listener to be present (a push must be complete). */
  requireRouteConfigs?: boolean;
}

export function validateResources(input: ResourceSet, options: BuildOptions = {}): ValidationResult {
  const p = new Problems();
  const prefix = options.pathPrefix ?? '';
  const listeners = readEach(input.listeners, `${prefix}listeners`, p, readListener);
  const routeList = readEach(input.routes, `${prefix}routes`, p, readRouteConfiguration);
  const clusterList = readEach(input.clusters, `${prefix}clusters`, p, readCluster);
  const claList = readEach(input.endpoints, `${prefix}endpoints`, p, (v, path, pr) => readClusterLoadAssignment(v, path, pr, true));

  const clusters = uniqueByName(clusterList, (c) => c.name, `${prefix}clusters`, 'cluster', p);
  const routeConfigs = uniqueByName(routeList, (r) => r.name, `${prefix}routes`, 'route configuration', p);
  uniqueByName(listeners, (l) => l.name, `${prefix}listeners`, 'listener', p);
  checkListenerAddresses(listeners, `${prefix}listeners`, p);
  const warmingClusters = attachEndpoints(clusters, claList, `${prefix}endpoints`, p);

  listeners.forEach((l, i) => {
    const hcmPath = joinPath(joinPath(`${prefix}listeners`, sourceIndex(l, i)), 'filter_chains[0].filters[0].typed_config');
    const source = l.hcm.routeSource;
    if (source.kind === 'inline') {
      checkClusterReferences(source.config, clusters, joinPath(hcmPath, 'route_config'), p, source.config.validateClusters ?? true);
    } else if (options.requireRouteConfigs && !routeConfigs.has(source.name)) {
      p.add(joinPath(hcmPath, 'rds.route_config_name'), `route configuration "${source.name}" is not defined in routes`);
    }
  });
  [...routeConfigs.values()].forEach((rc, i) => {
    // RDS default for validate_clusters is false: an unknown cluster is a 503 at request time.
    checkClusterReferences(rc, clusters, joinPath(`${prefix}routes`, sourceIndex(rc, i)), p, rc.validateClusters ?? false);
  });

  if (!p.ok) return { problems: p.list, warnings: p.warnings };
  const snapshot: ConfigSnapshot = deepFreeze({
    listeners,
    routeConfigs,
    clusters,
    warmingClusters,
    resources: { listeners: input.listeners ?? [], routes: input.routes ?? [], clusters: input.clusters ?? [], endpoints: input.endpoints ?? [] },
  });
  return { snapshot, problems: [], warnings: p.warnings };
}

/** Like validateResources, but throws a ConfigError listing every problem. */
export function buildSnapshot(input: ResourceSet, options: BuildOptions = {}): ConfigSnapshot {
  const result = validateResources(input, options);
  if (!result.snapshot) throw new ConfigError(result.problems, result.warnings);
  return result.snapshot;
}

function readEach<T>(list: unknown[] | undefined, path: string, p: Problems, read: (v: unknown, path: string, p: Problems) => T | undefined): T[] {
  const out: T[] = [];
  (list ?? []).forEach((v, i) => {
    const item = read(v, joinPath(path, i), p);
    if (item !== undefined) out.push(typeof item === 'object' && item !== null ? rememberIndex(item as T & object, i) : item);
  });
  return out;
}

function uniqueByName<T>(items: T[], name: (t: T) => string, path: string, what: string, p: Problems): Map<string, T> {
  const out = new Map<string, T>();
  items.forEach((item, i) => {
    const n = name(item);
    if (out.has(n)) p.add(joinPath(joinPath(path, sourceIndex(item as object, i)), 'name'), `duplicate ${what} name "${n}"`);
    out.set(n, item);
  });
  return out;
}

function checkListenerAddresses(listeners: ListenerModel[], path: string, p: Problems): void {
  const seen = new Map<string, string>();
  listeners.forEach((l, i) => {
    if (l.port === 0) return; // port 0: the OS picks a free port, never a clash
    const key = `${l.host}:${l.port}`;
    const other = seen.get(key);
    if (other) p.add(joinPath(joinPath(path, sourceIndex(l, i)), 'address'), `listener "${l.name}" uses ${key}, already used by listener "${other}"`);
    seen.set(key, l.name);
  });
}

function attachEndpoints(clusters: Map<string, ClusterModel>, clas: ClusterLoadAssignmentModel[], path: string, p: Problems): string[] {
  const byService = new Map<string, ClusterLoadAssignmentModel>();
  clas.forEach((cla, i) => {
    if (byService.has(cla.clusterName)) p.add(joinPath(path, i), `duplicate ClusterLoadAssignment for "${cla.clusterName}"`);
    byService.set(cla.clusterName, cla);
  });
  const warming: string[] = [];
  for (const [name, cluster] of clusters) {
    if (cluster.type !== 'EDS') continue;
    const cla = byService.get(cluster.edsServiceName ?? name);
    if (cla) clusters.set(name, { ...cluster, endpoints: cla.endpoints });
    else warming.push(name);
  }
  return warming;
}

/** Envoy's validate_clusters: every cluster a route names must exist (messages as in config_impl.cc). */
function checkClusterReferences(rc: RouteConfigModel, clusters: ReadonlyMap<string, ClusterModel>, path: string, p: Problems, enabled: boolean): void {
  if (!enabled) return;
  const checkMirrors = (policies: MirrorPolicyModel[], at: string): void => {
    policies.forEach((m, i) => {
      if (m.cluster !== undefined && !clusters.has(m.cluster)) p.add(joinPath(joinPath(at, i), 'cluster'), `route: unknown shadow cluster '${m.cluster}'`);
    });
  };
  checkMirrors(rc.requestMirrorPolicies, joinPath(path, 'request_mirror_policies'));
  rc.virtualHosts.forEach((vh, v) => {
    const vhPath = joinPath(joinPath(path, 'virtual_hosts'), sourceIndex(vh, v));
    checkMirrors(vh.requestMirrorPolicies, joinPath(vhPath, 'request_mirror_policies'));
    vh.routes.forEach((r, i) => {
      const routePath = joinPath(joinPath(vhPath, 'routes'), sourceIndex(r, i));
      if (r.action.kind !== 'route') return;
      const spec = r.action.cluster;
      if (spec.kind === 'cluster' && !clusters.has(spec.name)) p.add(joinPath(routePath, 'route.cluster'), `route: unknown cluster '${spec.name}'`);
      if (spec.kind === 'cluster' && clusters.get(spec.name)?.http2) p.add(joinPath(routePath, 'route.cluster'), `cluster '${spec.name}' is HTTP/2; shadowgate forwards requests over HTTP/1.1 only (yet)`);
      if (spec.kind === 'weighted') {
        spec.clusters.forEach((c, j) => {
          if (!clusters.has(c.name)) p.add(joinPath(joinPath(routePath, 'route.weighted_clusters.clusters'), j), `route: unknown weighted cluster '${c.name}'`);
        });
      }
      checkMirrors(r.action.requestMirrorPolicies, joinPath(routePath, 'route.request_mirror_policies'));
    });
  });
}

/**
 * Envoy accepts an RDS RouteConfiguration naming a cluster that does not exist (validate_clusters
 * defaults to false for RDS: the request gets 503 with flag NC), and so does src/config. A push is
 * the whole configuration, though, so a route pointing at a cluster the push does not define is
 * almost always a mistake (a deleted cluster, a typo): the control plane says so as a warning,
 * without refusing what Envoy would accept. validate_clusters: true turns it into an error.
 */
import { Problem } from '../config/problems';
import { ConfigSnapshot } from '../config/snapshot';
import { MirrorPolicyModel, RouteConfigModel } from '../config/model';

export function danglingClusterWarnings(snapshot: ConfigSnapshot): Problem[] {
  const out: Problem[] = [];
  [...snapshot.routeConfigs.values()].forEach((rc, i) => {
    for (const name of referencedClusters(rc)) {
      if (!snapshot.clusters.has(name)) out.push({ path: `routes[${i}]`, message: `route configuration "${rc.name}" names cluster "${name}", which this configuration does not define (requests routed there get 503; set validate_clusters: true to refuse this)` });
    }
  });
  return out;
}

function referencedClusters(rc: RouteConfigModel): Set<string> {
  const names = new Set<string>();
  const mirrors = (list: MirrorPolicyModel[]): void => {
    for (const m of list) if (m.cluster !== undefined) names.add(m.cluster);
  };
  mirrors(rc.requestMirrorPolicies);
  for (const vh of rc.virtualHosts) {
    mirrors(vh.requestMirrorPolicies);
    for (const r of vh.routes) {
      if (r.action.kind !== 'route') continue;
      const spec = r.action.cluster;
      if (spec.kind === 'cluster') names.add(spec.name);
      if (spec.kind === 'weighted') for (const c of spec.clusters) names.add(c.name);
      mirrors(r.action.requestMirrorPolicies);
    }
  }
  return names;
}

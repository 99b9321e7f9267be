/**
 * xDS stats named as Envoy names them (docs: "Subscription statistics", cluster manager and listener
 * manager statistics): `cluster_manager.cds.*`, `listener_manager.lds.*`,
 * `http.<stat_prefix>.rds.<route_config_name>.*`, EDS on `cluster.<name>.*`, and
 * `control_plane.connected_state`.
 */
import { ConfigSnapshot } from '../config/snapshot';
import { StatsStore } from '../telemetry/stats-store';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ResourceTypeUrl } from './type-urls';

export type UpdateStat = 'update_attempt' | 'update_success' | 'update_rejected' | 'update_failure' | 'init_fetch_timeout';

export class XdsStats {
  constructor(private readonly stats: StatsStore) {}

  connected(up: boolean): void {
    this.stats.gauge('control_plane.connected_state').set(up ? 1 : 0);
  }

  /**
   * Bumps `stat` for a response of `typeUrl` that carried `names`. RDS and EDS stats live on each
   * subscription (per route configuration / per cluster), so they are resolved through the snapshot.
   */
  update(typeUrl: ResourceTypeUrl, stat: UpdateStat, names: readonly string[], snapshot: ConfigSnapshot): void {
    for (const prefix of this.prefixes(typeUrl, names, snapshot)) this.stats.counter(`${prefix}.${stat}`).inc();
  }

  private prefixes(typeUrl: ResourceTypeUrl, names: readonly string[], snapshot: ConfigSnapshot): string[] {
    if (typeUrl === CLUSTER_TYPE_URL) return ['cluster_manager.cds'];
    if (typeUrl === LISTENER_TYPE_URL) return ['listener_manager.lds'];
    const wanted = new Set(names);
    const out = new Set<string>();
    if (typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL) {
      for (const [name, c] of snapshot.clusters) if (c.type === 'EDS' && wanted.has(c.edsServiceName ?? name)) out.add(`cluster.${name}`);
      return [...out];
    }
    for (const l of snapshot.listeners) {
      const s = l.hcm.routeSource;
      if (s.kind === 'rds' && wanted.has(s.name)) out.add(`http.${l.hcm.statPrefix}.rds.${s.name}`);
    }
    return [...out];
  }
}

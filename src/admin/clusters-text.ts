/** /clusters: Envoy's `cluster::key::value` text lines and a JSON form. */
import { CircuitBreakerModel } from '../config/model';
import { UpstreamCluster } from '../upstream/upstream-cluster';

/** Envoy's addCircuitBreakerSettingsAsText: `c::<priority>_priority::<threshold>::<value>`. */
function thresholdLines(n: string, priority: 'default' | 'high', cb: CircuitBreakerModel): string[] {
  return [
    `${n}::${priority}_priority::max_connections::${cb.maxConnections}`,
    `${n}::${priority}_priority::max_pending_requests::${cb.maxPendingRequests}`,
    `${n}::${priority}_priority::max_requests::${cb.maxRequests}`,
    `${n}::${priority}_priority::max_retries::${cb.maxRetries}`,
  ];
}

export function clustersText(clusters: Iterable<UpstreamCluster>, dynamicNames: ReadonlySet<string>): string {
  const lines: string[] = [];
  for (const c of clusters) {
    const n = c.name;
    const cb = c.model.circuitBreakers;
    lines.push(
      `${n}::observability_name::${n}`,
      ...thresholdLines(n, 'default', cb),
      ...thresholdLines(n, 'high', c.model.highPriorityCircuitBreakers),
      `${n}::added_via_api::${dynamicNames.has(n)}`,
    );
    for (const h of c.hosts) {
      const p = `${n}::${h.address}`;
      lines.push(
        `${p}::cx_active::${h.pool.stats.connected}`,
        `${p}::rq_active::${h.active}`,
        `${p}::rq_error::${h.errors}`,
        `${p}::rq_total::${h.total}`,
        `${p}::hostname::${h.hostname === h.host ? '' : h.hostname}`,
        `${p}::health_flags::${h.healthy ? 'healthy' : '/failed_eds_health'}`,
        `${p}::weight::${h.weight}`,
        `${p}::region::`,
        `${p}::zone::`,
        `${p}::sub_zone::`,
        `${p}::canary::false`,
        `${p}::priority::0`,
        `${p}::success_rate::-1`,
        `${p}::local_origin_success_rate::-1`,
      );
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

export function clustersJson(clusters: Iterable<UpstreamCluster>, dynamicNames: ReadonlySet<string>): object {
  return {
    cluster_statuses: [...clusters].map((c) => ({
      name: c.name,
      added_via_api: dynamicNames.has(c.name),
      host_statuses: c.hosts.map((h) => ({
        address: { socket_address: { address: h.host, port_value: h.port } },
        stats: [
          { name: 'rq_total', value: String(h.total) },
          { name: 'rq_error', value: String(h.errors) },
          { name: 'rq_active', type: 'GAUGE', value: String(h.active) },
        ],
        health_status: { eds_health_status: h.healthy ? 'HEALTHY' : 'UNHEALTHY' },
        weight: h.weight,
        hostname: h.hostname,
      })),
    })),
  };
}

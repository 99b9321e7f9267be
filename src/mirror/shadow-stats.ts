/**
 * Shadow counters, per mirror cluster: `cluster.<mirror>.shadow_<what>`. One segment after the cluster
 * name (not `shadow.sent`) so the Prometheus output's tag extraction, which takes the last segment as
 * the stat, yields `envoy_cluster_shadow_sent{envoy_cluster_name="<mirror>"}` like Envoy's own
 * `retry_or_shadow_abandoned`. Envoy itself only counts shadows in the mirror cluster's normal
 * upstream_rq_* stats; those are kept too (the shadow goes through the same forwarder).
 *
 * Names that come from a request header (cluster_header) are only used when they name a cluster that
 * exists, so a client cannot mint stats; the misses go to one listener-level counter.
 */
import { Counter, StatsStore } from '../telemetry/stats-store';

export class ShadowClusterStats {
  /** Dispatched: passed the mirror cluster's circuit breaker and went on the wire. */
  readonly sent: Counter;
  /** Answered with a status below 500 and the response body read to its end. */
  readonly succeeded: Counter;
  /** Sent but 5xx, refused, reset, or timed out (the route timeout). */
  readonly failed: Counter;
  /** Wanted but not sent: circuit breaker saturated, no host, cluster gone, body over the buffer limit. */
  readonly dropped: Counter;
  /** Not wanted: not sampled by runtime_fraction, or the method is outside --shadow-methods. */
  readonly skipped: Counter;

  constructor(store: StatsStore, cluster: string) {
    const c = (what: string): Counter => store.counter(`cluster.${cluster}.shadow_${what}`);
    this.sent = c('sent');
    this.succeeded = c('succeeded');
    this.failed = c('failed');
    this.dropped = c('dropped');
    this.skipped = c('skipped');
  }
}

export class ShadowStats {
  private readonly clusters = new Map<string, ShadowClusterStats>();
  private readonly noCluster = new Map<string, Counter>();

  constructor(private readonly store: StatsStore) {}

  /** Handles for a mirror cluster; call only with a configured or existing cluster name. */
  forCluster(name: string): ShadowClusterStats {
    let s = this.clusters.get(name);
    if (!s) {
      s = new ShadowClusterStats(this.store, name);
      this.clusters.set(name, s);
    }
    return s;
  }

  /**
   * `http.<stat_prefix>.shadow_no_cluster`: a policy whose cluster_header is absent or empty, or names
   * no cluster (Envoy drops these silently, router.cc getShadowCluster / shadow_writer_impl.cc).
   */
  noClusterFor(statPrefix: string): Counter {
    let c = this.noCluster.get(statPrefix);
    if (!c) {
      c = this.store.counter(`http.${statPrefix}.shadow_no_cluster`);
      this.noCluster.set(statPrefix, c);
    }
    return c;
  }
}

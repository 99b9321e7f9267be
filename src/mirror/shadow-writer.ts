/**
 * Envoy's ShadowWriterImpl (source/common/router/shadow_writer_impl.cc): sends a finished copy of a
 * request to a mirror cluster and forgets it. It knows only the cluster manager: the cluster is looked
 * up when the shadow leaves (a cluster removed by CDS meanwhile means the shadow is dropped), the copy
 * goes through that cluster's own circuit breaker and pool with the same admission, timeout and stats as
 * the primary (so it also shows in the mirror cluster's upstream_rq_* stats, as in Envoy), it is never
 * retried (the async client has a null retry policy, envoy#14548), and its response is dropped as it
 * arrives (upstream/discarding-forwarder.ts).
 *
 * `shadow()` returns at once and never throws; nothing about a shadow can reach the primary.
 */
import { HeaderMap } from '../gateway/hop-by-hop';
import { ClusterManager } from '../upstream/cluster-manager';
import { forwardDiscarding } from '../upstream/discarding-forwarder';
import { ShadowStats } from './shadow-stats';

export interface ShadowRequest {
  cluster: string;
  method: string;
  path: string;
  headers: HeaderMap;
  /** The whole body (buffered shadows leave once it has all arrived), or null. */
  body: Buffer | null;
  /** The route's timeout; 0 means none (RequestOptions.setTimeout(global_timeout_), router.cc). */
  timeoutMs: number;
  /** The "mirror" child span, ended here with the shadow's outcome (async_client_impl.cc). */
  span?: ShadowSpan;
}

/** What the writer needs of a tracing span: an end with a status or an error. */
export interface ShadowSpan {
  end(statusCode?: number, error?: unknown): void;
}

export type ShadowLog = (msg: string) => void;

export class ShadowWriter {
  constructor(private readonly clusters: ClusterManager, private readonly stats: ShadowStats, private readonly log: ShadowLog = () => undefined) {}

  shadow(req: ShadowRequest): void {
    const stats = this.stats.forCluster(req.cluster);
    const cluster = this.clusters.get(req.cluster);
    if (!cluster) {
      // shadow_writer_impl.cc: "shadow cluster '{}' does not exist" — dropped.
      stats.dropped.inc();
      this.log(`shadow cluster '${req.cluster}' does not exist`);
      endSpan(req.span, undefined, 'cluster_not_found');
      return;
    }
    const { span } = req;
    // The callback lives as long as the shadow is in flight: it refers neither to `req` nor its body.
    // auto_host_rewrite is not applied to shadows: they are built before a host is chosen (envoy#9326).
    try {
      const refused = forwardDiscarding(cluster, { method: req.method, path: req.path, headers: req.headers, body: req.body, timeoutMs: req.timeoutMs }, (outcome) => {
        if (!outcome.ok) {
          stats.failed.inc();
          endSpan(span, undefined, outcome.failure.kind);
          return;
        }
        (outcome.complete && outcome.statusCode < 500 ? stats.succeeded : stats.failed).inc();
        endSpan(span, outcome.statusCode, outcome.complete ? undefined : 'reset');
      });
      if (refused) {
        // Not admitted (breaker saturated, no healthy host): nothing went out, so dropped, not failed.
        stats.dropped.inc();
        this.log(`shadow to '${cluster.name}' dropped: ${refused.failure.kind}`);
        endSpan(span, undefined, refused.failure.kind);
        return;
      }
      stats.sent.inc();
    } catch (err) {
      stats.failed.inc();
      this.log(`shadow to '${cluster.name}' failed: ${(err as Error).message}`);
      endSpan(span, undefined, err);
    }
  }
}

/** A tracing problem must not turn into a shadow problem, let alone a primary one. */
function endSpan(span: ShadowSpan | undefined, statusCode: number | undefined, error: unknown): void {
  try {
    span?.end(statusCode, error);
  } catch {
    // ignored: spans are best effort
  }
}

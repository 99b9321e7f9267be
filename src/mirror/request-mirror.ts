/**
 * The router's shadow decisions for one request (Envoy router.cc decodeHeaders → onRequestComplete →
 * maybeDoShadowing): which policies sample in, which cluster each names, the header copy, and when the
 * copies leave — at once for a request without a body, after the last body byte otherwise.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { MirrorPolicyModel } from '../config/model';
import { RequestState } from '../gateway/request-state';
import { HeaderMap } from '../gateway/hop-by-hop';
import { sampleFraction } from '../routing/matchers';
import { RandomSource } from '../routing/route-table';
import { ClusterManager } from '../upstream/cluster-manager';
import { StatsStore } from '../telemetry/stats-store';
import { TeeOutcome, teeBody } from './body-tee';
import { buildShadowHeaders, envoyLocalAddress } from './shadow-headers';
import { ShadowOptions } from './shadow-options';
import { ShadowClusterStats, ShadowStats } from './shadow-stats';
import { ShadowLog, ShadowSpan, ShadowWriter } from './shadow-writer';
import type { ClientSpanInfo, HeaderCarrier, ServerSpanHandle } from '../telemetry';

/** The slice of the GatewayTracer the mirror uses: one CLIENT span named "mirror" per shadow. */
export interface MirrorTracer {
  startClientSpan(parent: ServerSpanHandle, info: ClientSpanInfo): ShadowSpan & { inject(headers: HeaderCarrier): void };
}

export interface MirrorDeps {
  clusters: ClusterManager;
  stats: StatsStore;
  random: RandomSource;
  options: ShadowOptions;
  log?: ShadowLog;
  /** What the shadows append to x-forwarded-for; Envoy's LocalInfo address by default. */
  localAddress?: string;
  tracer?: MirrorTracer;
}

export interface MirroredRequest {
  method: string;
  /** The client's headers as received (before hop-by-hop removal), to recognise upgrades. */
  rawHeaders: IncomingHttpHeaders;
  /** The client's body stream, or null when the request has none. */
  body: Readable | null;
  gw: RequestState;
  /** The downstream response; when it is over, an unread body is released. */
  response: EventEmitter;
}

interface SelectedShadow {
  cluster: string;
  headers: HeaderMap;
  stats: ShadowClusterStats;
  traceSampled: boolean | undefined;
}

/** Envoy's Utility::isUpgrade: Connection lists "upgrade" and an Upgrade header is present. */
function isUpgrade(h: IncomingHttpHeaders): boolean {
  return h.upgrade !== undefined && (h.connection ?? '').toLowerCase().split(',').some((t) => t.trim() === 'upgrade');
}

/** Envoy's getShadowCluster: the policy's cluster, or the first value of cluster_header (empty = none). */
function shadowClusterName(policy: MirrorPolicyModel, headers: HeaderMap): string | undefined {
  if (policy.cluster !== undefined) return policy.cluster;
  const v = headers[policy.clusterHeader!];
  const first = Array.isArray(v) ? v[0] : v;
  return first ? first : undefined;
}

export class RequestMirror {
  private readonly writer: ShadowWriter;
  private readonly shadowStats: ShadowStats;
  private readonly localAddress: string;

  constructor(private readonly deps: MirrorDeps) {
    this.shadowStats = new ShadowStats(deps.stats);
    this.writer = new ShadowWriter(deps.clusters, this.shadowStats, deps.log);
    this.localAddress = deps.localAddress ?? envoyLocalAddress();
  }

  /**
   * Starts this request's shadows. Returns the stream the primary must read the body from when a shadow
   * needs a copy of it; undefined when the primary reads the client directly.
   */
  start(req: MirroredRequest): Readable | undefined {
    const { gw } = req;
    const action = gw.forward;
    // No primary (the router answered) → no shadow; CONNECT and upgrades are never shadowed (proto doc).
    if (!action || !gw.target || action.mirrorPolicies.length === 0) return undefined;
    if (req.method === 'CONNECT' || isUpgrade(req.rawHeaders)) return undefined;
    const primary = this.deps.clusters.get(gw.target.clusterName);
    if (!primary) return undefined;

    const selected = this.select(req, action.mirrorPolicies);
    if (selected.length === 0) return undefined;
    // Envoy shadows only once the primary has a connection pool: with no host the primary is a 503.
    if (primary.hosts.length === 0) {
      for (const s of selected) s.stats.dropped.inc();
      return undefined;
    }

    const send = (body: Buffer | null): void => {
      for (const s of selected) {
        const span = this.mirrorSpan(gw, req.method, s);
        this.writer.shadow({ cluster: s.cluster, method: req.method, path: gw.upstreamPath, headers: s.headers, body, timeoutMs: action.timeoutMs, ...(span ? { span } : {}) });
      }
    };
    // setImmediate: the primary is dispatched first, as in Envoy where its upstream request exists
    // before maybeDoShadowing runs; the shadow's own work never runs inside the primary's call stack.
    if (!req.body) {
      setImmediate(send, null);
      return undefined;
    }
    const limit = gw.listener.model.perConnectionBufferLimitBytes;
    const stream = teeBody(req.body, limit > 0 ? limit : Infinity, (outcome: TeeOutcome) => {
      if (outcome.kind === 'complete') {
        setImmediate(send, outcome.body);
      } else if (outcome.kind === 'over_limit') {
        // router.cc decodeData: retry_or_shadow_abandoned on the primary cluster, shadows cleared.
        primary.stats.retryOrShadowAbandoned.inc();
        for (const s of selected) s.stats.dropped.inc();
      }
      // 'aborted' / 'primary_gone': Envoy sends no shadow ("Possible that we got an immediate reset").
    });
    // A primary that failed without reading the body must not leave the client's socket paused on it.
    req.response.once('close', () => {
      if (!stream.writableEnded) stream.destroy();
    });
    return stream;
  }

  /** Each policy samples on its own draw (see docs/mirroring.md: Envoy reuses the stream id). */
  private select(req: MirroredRequest, policies: readonly MirrorPolicyModel[]): SelectedShadow[] {
    const { gw } = req;
    const out: SelectedShadow[] = [];
    const methods = this.deps.options.methods;
    for (const policy of policies) {
      const cluster = shadowClusterName(policy, gw.upstreamHeaders);
      // A cluster named by a header must exist now; a configured one is checked when the shadow leaves.
      if (cluster === undefined || (policy.cluster === undefined && !this.deps.clusters.get(cluster))) {
        this.shadowStats.noClusterFor(gw.listener.hcm.statPrefix).inc();
        continue;
      }
      const stats = this.shadowStats.forCluster(cluster);
      if ((methods && !methods.has(req.method)) || !sampleFraction(policy.fraction, this.deps.random)) {
        stats.skipped.inc();
        continue;
      }
      // Copied now: the primary's forwarder may still change its own headers (auto_host_rewrite).
      out.push({ cluster, stats, traceSampled: policy.traceSampled, headers: buildShadowHeaders(gw.upstreamHeaders, policy, this.deps.options, this.localAddress) });
    }
    return out;
  }

  /**
   * Envoy's shadow span: a child of the downstream span named "mirror", sampled per the policy's
   * trace_sampled (unset ⇒ the parent's decision), its context injected into the copy (router.cc
   * setParentSpan / setChildSpanName("mirror") / setSampled). Best effort: a tracer error means no span.
   */
  private mirrorSpan(gw: RequestState, method: string, s: SelectedShadow): ShadowSpan | undefined {
    const tracer = this.deps.tracer;
    if (!tracer || !gw.span) return undefined;
    try {
      const span = tracer.startClientSpan(gw.span, {
        name: 'mirror',
        cluster: s.cluster,
        method,
        url: gw.upstreamPath,
        host: typeof s.headers.host === 'string' ? s.headers.host : '',
        shadow: true,
        ...(s.traceSampled !== undefined ? { sampled: s.traceSampled } : {}),
      });
      span.inject(s.headers as HeaderCarrier);
      return span;
    } catch {
      return undefined;
    }
  }
}

/**
 * Warming (xDS protocol, "Resource warming"): a new Cluster of type EDS serves only once its
 * ClusterLoadAssignment arrived; a new Listener whose routes come over RDS serves only once its
 * RouteConfiguration arrived. Until then the previous version of the same resource keeps serving, or,
 * for a brand-new one, it is left out of the applied snapshot (a route to a warming cluster gets
 * Envoy's 503 cluster-not-found). After `initial_fetch_timeout` (default 15 s; 0 disables) the resource
 * stops waiting and serves with what it has: a cluster without hosts, a listener without routes (404).
 */
import { ClusterModel, ListenerModel } from '../config/model';
import { ConfigSnapshot } from '../config/snapshot';
import { DEFAULT_INITIAL_FETCH_TIMEOUT_MS } from '../config/config-source';

export interface Servable {
  /** What the gateway applies. */
  snapshot: ConfigSnapshot;
  /** Candidate resources still waiting (their new version is not serving). */
  warmingClusters: string[];
  warmingListeners: string[];
  /** Warming items whose deadline passed during this computation, for init_fetch_timeout stats. */
  timedOut: string[];
}

export class WarmingTracker {
  /** Warming item key → when it started waiting. */
  private readonly since = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly expired = new Set<string>();

  constructor(
    /** Called when a deadline passes: the owner recomputes and re-applies. */
    private readonly onDeadline: () => void,
    private readonly clusterTimeoutMs = DEFAULT_INITIAL_FETCH_TIMEOUT_MS,
    private readonly now: () => number = Date.now,
  ) {}

  servable(candidate: ConfigSnapshot, previous: ConfigSnapshot): Servable {
    const live = new Set<string>();
    const timedOut: string[] = [];
    const waiting = (key: string, timeoutMs: number): boolean => {
      live.add(key);
      if (this.expired.has(key)) return false;
      if (timeoutMs === 0) return true;
      const started = this.since.get(key) ?? this.start(key, timeoutMs);
      if (this.now() - started < timeoutMs) return true;
      this.expired.add(key);
      timedOut.push(key);
      return false;
    };

    const warmingClusters: string[] = [];
    const clusters = new Map<string, ClusterModel>();
    const cold = new Set(candidate.warmingClusters);
    for (const [name, model] of candidate.clusters) {
      if (!cold.has(name) || !waiting(`cluster ${name} (${model.edsServiceName ?? name})`, this.clusterTimeoutMs)) {
        clusters.set(name, model);
        continue;
      }
      warmingClusters.push(name);
      const old = previous.clusters.get(name);
      if (old) clusters.set(name, old);
    }

    const warmingListeners: string[] = [];
    const listeners: ListenerModel[] = [];
    const previousListeners = new Map(previous.listeners.map((l) => [l.name, l]));
    for (const model of candidate.listeners) {
      const source = model.hcm.routeSource;
      const warm = source.kind === 'inline' || candidate.routeConfigs.has(source.name)
        || !waiting(`listener ${model.name} (route ${source.name})`, source.initialFetchTimeoutMs);
      if (warm) {
        listeners.push(model);
        continue;
      }
      warmingListeners.push(model.name);
      const old = previousListeners.get(model.name);
      if (old) listeners.push(old);
    }

    this.forgetAllBut(live);
    const snapshot: ConfigSnapshot = Object.freeze({
      listeners: Object.freeze(listeners),
      routeConfigs: candidate.routeConfigs,
      clusters,
      warmingClusters: Object.freeze(warmingClusters),
      resources: candidate.resources,
    });
    return { snapshot, warmingClusters, warmingListeners, timedOut };
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private start(key: string, timeoutMs: number): number {
    const at = this.now();
    this.since.set(key, at);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.onDeadline();
    }, timeoutMs);
    timer.unref();
    this.timers.set(key, timer);
    return at;
  }

  /** Items that finished warming (or went away) stop their clocks, so a later re-warm starts afresh. */
  private forgetAllBut(live: ReadonlySet<string>): void {
    for (const key of [...this.since.keys()]) {
      if (live.has(key)) continue;
      this.since.delete(key);
      this.expired.delete(key);
      const t = this.timers.get(key);
      if (t) clearTimeout(t);
      this.timers.delete(key);
    }
  }
}

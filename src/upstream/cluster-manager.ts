/**
 * Owns the run-time clusters. An update is diffed against what is running: unchanged clusters keep
 * their pools (and their warm connections), changed ones are rebuilt, removed ones drain.
 */
import { isDeepStrictEqual } from 'node:util';
import { ClusterModel } from '../config/model';
import { StatsStore } from '../telemetry/stats-store';
import { UpstreamCluster } from './upstream-cluster';

export class ClusterManager {
  private clusters = new Map<string, UpstreamCluster>();

  constructor(private readonly stats: StatsStore, private readonly log?: (msg: string) => void) {}

  get(name: string): UpstreamCluster | undefined {
    return this.clusters.get(name);
  }

  all(): IterableIterator<UpstreamCluster> {
    return this.clusters.values();
  }

  /** Applies a new cluster set; resolves once new clusters have their first host list. */
  async apply(models: ReadonlyMap<string, ClusterModel>): Promise<void> {
    const next = new Map<string, UpstreamCluster>();
    const retired: UpstreamCluster[] = [];
    for (const [name, model] of models) {
      const current = this.clusters.get(name);
      if (current && isDeepStrictEqual(current.model, model)) next.set(name, current);
      else if (current && sameExceptEndpoints(current.model, model) && !current.resolvesDns) {
        current.updateEndpoints(model);
        next.set(name, current);
      } else {
        next.set(name, new UpstreamCluster(model, this.stats, this.log));
        if (current) retired.push(current);
      }
    }
    for (const [name, c] of this.clusters) if (!models.has(name)) retired.push(c);
    await Promise.all([...next.values()].map((c) => c.ready));
    this.clusters = next;
    // Requests already holding the old cluster finish on it; close() waits for them.
    for (const c of retired) void c.close();
  }

  async close(): Promise<void> {
    const all = [...this.clusters.values()];
    this.clusters = new Map();
    await Promise.all(all.map((c) => c.destroy()));
  }
}

function sameExceptEndpoints(a: ClusterModel, b: ClusterModel): boolean {
  return isDeepStrictEqual({ ...a, endpoints: [] }, { ...b, endpoints: [] });
}

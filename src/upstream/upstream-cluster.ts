/**
 * A cluster at run time: its hosts (each with a keep-alive pool), its load balancer, its circuit
 * breaker and stats. STATIC hosts are fixed; STRICT_DNS/LOGICAL_DNS re-resolve on dns_refresh_rate.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ClusterModel, DnsLookupFamily, EndpointModel } from '../config/model';
import { StatsStore } from '../telemetry/stats-store';
import { ClusterStats } from './cluster-stats';
import { LoadBalancer, createLoadBalancer } from './load-balancer';
import { UpstreamHost } from './upstream-host';

export type AcquireResult = 'ok' | 'overflow' | 'pending_overflow';

export class UpstreamCluster {
  readonly stats: ClusterStats;
  hosts: readonly UpstreamHost[] = [];
  private lb: LoadBalancer = createLoadBalancer('ROUND_ROBIN', []);
  private active = 0;
  private dnsTimer?: NodeJS.Timeout;
  private closed = false;
  /** Resolves once the first host list is known (DNS clusters resolve first). */
  readonly ready: Promise<void>;

  /** STRICT_DNS / LOGICAL_DNS: hosts come from DNS names (what auto_host_rewrite puts in Host). */
  get resolvesDns(): boolean {
    return this.model.type === 'STRICT_DNS' || this.model.type === 'LOGICAL_DNS';
  }

  constructor(private current: ClusterModel, stats: StatsStore, private readonly onLog?: (msg: string) => void) {
    this.stats = new ClusterStats(stats, `cluster.${current.name}`);
    this.ready = this.resolvesDns ? this.resolveDns() : Promise.resolve(this.setHosts(this.model.endpoints));
  }

  get name(): string {
    return this.current.name;
  }

  get model(): ClusterModel {
    return this.current;
  }

  /** EDS pushed new endpoints for an otherwise unchanged cluster: keep the pools of hosts that stay. */
  updateEndpoints(model: ClusterModel): void {
    this.current = model;
    if (model.type === 'EDS' || model.type === 'STATIC') this.setHosts(model.endpoints);
  }

  /** Picks a host with the cluster's policy; undefined means Envoy's "no healthy upstream". */
  pickHost(): UpstreamHost | undefined {
    const h = this.lb.pick();
    if (!h) this.stats.noHealthy.inc();
    else if (this.lb.panic) this.stats.panic.inc();
    return h;
  }

  /**
   * Circuit breaker (DEFAULT priority thresholds). HTTP/1.1 carries one request per connection, so a
   * request beyond max_connections waits in the pool: that is a pending request.
   */
  tryAcquire(): AcquireResult {
    const cb = this.model.circuitBreakers;
    if (this.active >= cb.maxRequests) return 'overflow';
    if (this.active >= cb.maxConnections * Math.max(1, this.hosts.length) && this.active - cb.maxConnections * Math.max(1, this.hosts.length) >= cb.maxPendingRequests) {
      return 'pending_overflow';
    }
    this.active++;
    this.stats.rqActive.set(this.active);
    return 'ok';
  }

  release(): void {
    this.active--;
    this.stats.rqActive.set(this.active);
  }

  get activeRequests(): number {
    return this.active;
  }

  private setHosts(endpoints: readonly EndpointModel[]): void {
    const old = this.hosts;
    const keep = new Map(old.map((h) => [`${h.address}|${h.weight}|${h.healthy}`, h]));
    const next = endpoints.map((e) => {
      const fresh = UpstreamHost.fromEndpoint(e, this.model.connectTimeoutMs, this.model.circuitBreakers.maxConnections);
      const existing = keep.get(`${fresh.address}|${fresh.weight}|${fresh.healthy}`);
      if (existing) {
        keep.delete(`${fresh.address}|${fresh.weight}|${fresh.healthy}`);
        void fresh.destroy();
        return existing;
      }
      return fresh;
    });
    this.hosts = next;
    this.lb = createLoadBalancer(this.model.lbPolicy, next);
    this.stats.membershipTotal.set(next.length);
    this.stats.membershipHealthy.set(next.filter((h) => h.healthy).length);
    for (const gone of keep.values()) void gone.close();
  }

  private async resolveDns(): Promise<void> {
    const resolved: EndpointModel[] = [];
    for (const e of this.model.endpoints) {
      if (isIP(e.host)) {
        resolved.push(e);
        continue;
      }
      try {
        const addrs = byFamily(await lookup(e.host, { all: true }), this.model.dnsLookupFamily);
        const chosen = this.model.type === 'LOGICAL_DNS' ? addrs.slice(0, 1) : addrs;
        for (const a of chosen) resolved.push({ ...e, host: a.address, hostname: e.host });
      } catch (err) {
        this.onLog?.(`cluster ${this.name}: DNS resolution of ${e.host} failed: ${(err as Error).message}`);
      }
    }
    if (this.closed) return;
    this.setHosts(resolved);
    this.dnsTimer = setTimeout(() => void this.resolveDns(), this.model.dnsRefreshRateMs);
    this.dnsTimer.unref();
  }

  /** Drain: in-flight requests finish, then connections close. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.dnsTimer) clearTimeout(this.dnsTimer);
    await Promise.all(this.hosts.map((h) => h.close()));
  }

  async destroy(): Promise<void> {
    this.closed = true;
    if (this.dnsTimer) clearTimeout(this.dnsTimer);
    await Promise.all(this.hosts.map((h) => h.destroy()));
  }
}

/**
 * Envoy's DnsLookupFamily: V4_ONLY / V6_ONLY keep one family; AUTO uses the IPv6 addresses when there
 * are any, else the IPv4 ones; V4_PREFERRED the reverse; ALL keeps both.
 */
export function byFamily<T extends { family: number }>(addrs: T[], family: DnsLookupFamily): T[] {
  const v4 = addrs.filter((a) => a.family === 4);
  const v6 = addrs.filter((a) => a.family === 6);
  switch (family) {
    case 'V4_ONLY': return v4;
    case 'V6_ONLY': return v6;
    case 'AUTO': return v6.length > 0 ? v6 : v4;
    case 'V4_PREFERRED': return v4.length > 0 ? v4 : v6;
    case 'ALL': return addrs;
  }
}

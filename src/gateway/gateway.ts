/**
 * The data plane: owns the cluster manager, the config store and the listeners. `apply()` takes a
 * validated ConfigSnapshot (from the bootstrap or from xDS) and makes it live: clusters first (so no
 * route ever points at a cluster that is not there), then the swap, then listeners added or drained.
 * It knows nothing of Fastify: the composition root hands it a factory that builds a listener's server.
 */
import { ListenerModel } from '../config/model';
import { ConfigSnapshot } from '../config/snapshot';
import { ClusterManager } from '../upstream/cluster-manager';
import { StatsStore } from '../telemetry/stats-store';
import { ConfigStore } from './config-store';
import { RuntimeSnapshot, compileRuntimeSnapshot } from './runtime-snapshot';
import type { ConfigDumpSource } from '../admin/config-dump';
import { GatewayTracer } from '../telemetry';

export interface ListenerServer {
  /** The bound port (the OS's choice when the config says 0). */
  readonly port: number;
  close(): Promise<void>;
}

export type ListenerFactory = (model: ListenerModel, gateway: Gateway) => Promise<ListenerServer>;

export type ServerState = 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE' | 'DRAINING';

export interface GatewayLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export class Gateway {
  readonly stats = new StatsStore();
  readonly clusters: ClusterManager;
  readonly store: ConfigStore;
  readonly startedAt = Date.now();
  state: ServerState = 'PRE_INITIALIZING';
  /**
   * Set by the xDS client while its initial fetch is outstanding (Envoy's init manager): apply() then
   * leaves the server INITIALIZING, so /ready answers 503 until the dynamic config is in.
   */
  holdInitialization = false;
  /** What /config_dump reports: the bootstrap as loaded, and what xDS delivered. */
  describe: ConfigDumpSource = { bootstrap: {}, loadedAt: new Date(), staticListeners: [], staticClusters: [] };
  node: { id: string; cluster: string } = { id: '', cluster: '' };
  /** Set by the composition root from OTEL_* and the HCM tracing block; disabled costs nothing. */
  tracer: GatewayTracer = GatewayTracer.disabled();
  private readonly servers = new Map<string, { model: ListenerModel; server: ListenerServer }>();
  private version = 0;
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly createListener: ListenerFactory, readonly log: GatewayLogger) {
    this.clusters = new ClusterManager(this.stats, (m) => log.warn(m));
    this.store = new ConfigStore(compileRuntimeSnapshot({ listeners: [], routeConfigs: new Map(), clusters: new Map(), warmingClusters: [], resources: { listeners: [], routes: [], clusters: [], endpoints: [] } }, 0, this.stats));
  }

  get current(): RuntimeSnapshot {
    return this.store.current;
  }

  /** Port a listener is bound to, by listener name. */
  listenerPort(name: string): number | undefined {
    return this.servers.get(name)?.server.port;
  }

  /** Applies snapshots one at a time, in the order given. */
  apply(config: ConfigSnapshot): Promise<void> {
    const run = this.applying.then(() => this.applyNow(config));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(config: ConfigSnapshot): Promise<void> {
    if (this.state === 'PRE_INITIALIZING') this.state = 'INITIALIZING';
    await this.clusters.apply(config.clusters);
    const runtime = compileRuntimeSnapshot(config, ++this.version, this.stats);
    // Bind new listeners before the swap so a failure to bind leaves the old config serving.
    const added: { model: ListenerModel; server: ListenerServer }[] = [];
    try {
      for (const model of config.listeners) {
        const existing = this.servers.get(model.name);
        if (existing && existing.model.host === model.host && existing.model.port === model.port) continue;
        if (existing) {
          this.servers.delete(model.name);
          await existing.server.close();
        }
        added.push({ model, server: await this.createListener(model, this) });
      }
    } catch (err) {
      await Promise.all(added.map((a) => a.server.close()));
      throw err;
    }
    this.store.swap(runtime);
    for (const a of added) this.servers.set(a.model.name, a);
    for (const [name, s] of this.servers) {
      if (!runtime.listeners.has(name)) {
        this.servers.delete(name);
        void s.server.close().catch((e: Error) => this.log.warn(`closing listener ${name}: ${e.message}`));
      }
    }
    for (const [name, s] of this.servers) {
      const model = runtime.listeners.get(name)?.model;
      if (model) s.model = model;
    }
    if (this.state === 'INITIALIZING' && !this.holdInitialization) this.state = 'LIVE';
  }

  async close(): Promise<void> {
    this.state = 'DRAINING';
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(servers.map((s) => s.server.close()));
    await this.clusters.close();
    await this.tracer.shutdown();
  }
}

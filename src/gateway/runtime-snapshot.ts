/**
 * What the request path reads: one immutable object per configuration version, with every route table
 * compiled and every stat handle created. An update builds a new one and swaps the reference, so a
 * request finishes on the snapshot it started with.
 */
import { ConfigSnapshot } from '../config/snapshot';
import { HttpConnectionManagerModel, ListenerModel } from '../config/model';
import { RouteTable } from '../routing/route-table';
import { Counter, Gauge, StatsStore } from '../telemetry/stats-store';

export class HcmStats {
  readonly rqTotal: Counter;
  readonly rqActive: Gauge;
  readonly noRoute: Counter;
  readonly noCluster: Counter;
  readonly directResponse: Counter;
  readonly redirect: Counter;
  readonly byClass: Counter[];

  constructor(store: StatsStore, prefix: string) {
    const p = `http.${prefix}`;
    this.rqTotal = store.counter(`${p}.downstream_rq_total`);
    this.rqActive = store.gauge(`${p}.downstream_rq_active`);
    this.noRoute = store.counter(`${p}.no_route`);
    this.noCluster = store.counter(`${p}.no_cluster`);
    this.directResponse = store.counter(`${p}.rq_direct_response`);
    this.redirect = store.counter(`${p}.rq_redirect`);
    this.byClass = [1, 2, 3, 4, 5].map((k) => store.counter(`${p}.downstream_rq_${k}xx`));
  }

  response(status: number): void {
    const cls = Math.floor(status / 100);
    if (cls >= 1 && cls <= 5) this.byClass[cls - 1].inc();
  }
}

export interface ListenerRuntime {
  model: ListenerModel;
  hcm: HttpConnectionManagerModel;
  stats: HcmStats;
  /** Inline route_config, or the RDS table by name (undefined until it arrives). */
  routeTable: RouteTable | undefined;
}

export interface RuntimeSnapshot {
  readonly version: number;
  readonly config: ConfigSnapshot;
  readonly listeners: ReadonlyMap<string, ListenerRuntime>;
}

/** Compiles route tables (RE2 compilation, indexes, weights) once per configuration. */
export function compileRuntimeSnapshot(config: ConfigSnapshot, version: number, stats: StatsStore): RuntimeSnapshot {
  const rdsTables = new Map<string, RouteTable>();
  for (const [name, rc] of config.routeConfigs) rdsTables.set(name, new RouteTable(rc));
  const listeners = new Map<string, ListenerRuntime>();
  for (const model of config.listeners) {
    const source = model.hcm.routeSource;
    listeners.set(model.name, {
      model,
      hcm: model.hcm,
      stats: new HcmStats(stats, model.hcm.statPrefix),
      routeTable: source.kind === 'inline' ? new RouteTable(source.config) : rdsTables.get(source.name),
    });
  }
  return Object.freeze({ version, config, listeners });
}

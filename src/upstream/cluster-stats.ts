/** The per-cluster counters Envoy exposes (cluster.<name>.*), created once per cluster. */
import { Counter, Gauge, StatsStore } from '../telemetry/stats-store';

export class ClusterStats {
  readonly rqTotal: Counter;
  readonly rqActive: Gauge;
  readonly rqTimeout: Counter;
  readonly rqPendingOverflow: Counter;
  readonly cxConnectFail: Counter;
  readonly rqReset: Counter;
  readonly noHealthy: Counter;
  readonly panic: Counter;
  readonly retryOrShadowAbandoned: Counter;
  readonly membershipTotal: Gauge;
  readonly membershipHealthy: Gauge;
  private readonly byClass: Counter[];
  private readonly byCode = new Map<number, Counter>();

  constructor(private readonly store: StatsStore, private readonly prefix: string) {
    const c = (n: string) => store.counter(`${prefix}.${n}`);
    this.rqTotal = c('upstream_rq_total');
    this.rqActive = store.gauge(`${prefix}.upstream_rq_active`);
    this.rqTimeout = c('upstream_rq_timeout');
    this.rqPendingOverflow = c('upstream_rq_pending_overflow');
    this.cxConnectFail = c('upstream_cx_connect_fail');
    this.rqReset = c('upstream_rq_rx_reset');
    this.noHealthy = c('upstream_cx_none_healthy');
    this.panic = c('lb_healthy_panic');
    this.retryOrShadowAbandoned = c('retry_or_shadow_abandoned');
    this.membershipTotal = store.gauge(`${prefix}.membership_total`);
    this.membershipHealthy = store.gauge(`${prefix}.membership_healthy`);
    this.byClass = [1, 2, 3, 4, 5].map((k) => c(`upstream_rq_${k}xx`));
  }

  /** upstream_rq_<code> and upstream_rq_<class>xx, as Envoy's router counts responses. */
  response(status: number): void {
    const cls = Math.floor(status / 100);
    if (cls >= 1 && cls <= 5) this.byClass[cls - 1].inc();
    let code = this.byCode.get(status);
    if (!code) {
      code = this.store.counter(`${this.prefix}.upstream_rq_${status}`);
      this.byCode.set(status, code);
    }
    code.inc();
  }
}

/** What the composition root (src/cli) hands every plugin of a listener's chain. */
import type { ConfigStore } from '../src/gateway/config-store';
import type { ClusterManager } from '../src/upstream/cluster-manager';
import type { StatsStore } from '../src/telemetry/stats-store';
import type { RandomSource } from '../src/routing/route-table';
import type { GatewayTracer } from '../src/telemetry';
import type { ShadowOptions } from '../src/mirror/shadow-options';

export interface GatewayPluginOptions {
  listenerName: string;
  store: ConfigStore;
  clusters: ClusterManager;
  stats: StatsStore;
  /** One per gateway; a disabled tracer costs nothing per request. */
  tracer: GatewayTracer;
  /** Injectable for tests of weighted picks and sampling; defaults to a 32-bit Math.random. */
  random?: RandomSource;
  /** Gateway-wide shadow settings (--shadow-strip-headers, --shadow-methods); off when absent. */
  shadow?: ShadowOptions;
}

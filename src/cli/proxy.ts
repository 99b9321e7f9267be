/**
 * `shadowgate proxy`: load the Envoy bootstrap, start the gateway's listeners and the admin server,
 * and (when the bootstrap has dynamic_resources) the xDS client. Also used in-process by tests and demo.
 */
import type { Logger } from 'pino';
import { BootstrapModel } from '../config/bootstrap';
import { readBootstrapFile } from './bootstrap-file';
import { Gateway } from '../gateway/gateway';
import { RandomSource } from '../routing/route-table';
import { listenerFactory } from './listener-server';
import { AdminServer, startAdminServer } from './admin-server';
import { createLogger } from './logger';
import { ConfigError } from '../config/problems';
import { XdsHandle, startXds, staticClusterAddress } from '../xds/xds-starter';
import { GatewayTracer, resolveTracingSettings } from '../telemetry';
import { ShadowOptionsInput, resolveShadowOptions } from '../mirror/shadow-options';

export interface ProxyOptions {
  configPath?: string;
  /** Inline bootstrap (Envoy's --config-yaml); merged over the file when both are given. */
  configYaml?: string;
  logLevel?: string;
  serviceNode?: string;
  serviceCluster?: string;
  logger?: Logger;
  random?: RandomSource;
  /** --shadow-strip-headers / --shadow-methods; SHADOWGATE_SHADOW_* fill what is not given. */
  shadow?: ShadowOptionsInput;
  /** Environment for OTEL_* settings (tests pass their own). */
  env?: Record<string, string | undefined>;
  /** Already read and validated (the proxy command checks the file before loading the gateway). */
  bootstrap?: BootstrapModel;
}

export interface ProxyHandle {
  gateway: Gateway;
  bootstrap: BootstrapModel;
  admin?: AdminServer;
  /** The xDS client, when the bootstrap has dynamic_resources.ads_config. */
  xds?: XdsHandle;
  logger: Logger;
  close(): Promise<void>;
}

export { readBootstrapFile };

export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const logger = options.logger ?? createLogger(options.logLevel);
  const bootstrap = options.bootstrap ?? (await readBootstrapFile(options));
  // What the bootstrap asked for but shadowgate skips (e.g. an is_optional http filter): said once, at start.
  for (const w of bootstrap.warnings) logger.warn({ path: w.path }, `config: ${w.path}: ${w.message}`);
  const shadow = resolveShadowOptions(options.shadow ?? {}, process.env);
  const gateway = new Gateway(listenerFactory({ logger, shadow, ...(options.random ? { random: options.random } : {}) }), {
    info: (m) => logger.info(m),
    warn: (m) => logger.warn(m),
    error: (m) => logger.error(m),
  });
  gateway.node = { id: bootstrap.node.id, cluster: bootstrap.node.cluster };
  gateway.tracer = createTracer(bootstrap, gateway, logger, options.env ?? process.env);
  gateway.describe = {
    bootstrap: bootstrap.raw,
    loadedAt: new Date(),
    staticListeners: [...bootstrap.staticSnapshot.resources.listeners],
    staticClusters: [...bootstrap.staticSnapshot.resources.clusters],
  };
  let admin: AdminServer | undefined;
  let xds: XdsHandle | undefined;
  const close = async (): Promise<void> => {
    await xds?.stop();
    await admin?.close();
    await gateway.close();
  };
  try {
    if (bootstrap.admin) {
      const commandLine = { config_path: options.configPath ?? '', service_node: bootstrap.node.id, service_cluster: bootstrap.node.cluster, log_level: options.logLevel ?? 'info' };
      admin = await startAdminServer(gateway, bootstrap.admin, logger, commandLine, () => void close().then(() => process.exit(0)));
    }
    await gateway.apply(bootstrap.staticSnapshot);
    if (bootstrap.ads) {
      xds = await startXds(gateway, bootstrap, logger);
    }
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  logger.info({ listeners: [...gateway.current.listeners.keys()].map((n) => `${n}@${gateway.listenerPort(n)}`), admin: admin?.port }, 'shadowgate proxy started');
  return { gateway, bootstrap, ...(admin ? { admin } : {}), ...(xds ? { xds } : {}), logger, close };
}

/**
 * One tracer per gateway: OTEL_* settings, refined by the first static listener's HCM `tracing` block
 * (an Envoy `provider` naming a cluster is resolved against the static clusters).
 */
function createTracer(bootstrap: BootstrapModel, gateway: Gateway, logger: Logger, env: Record<string, string | undefined>): GatewayTracer {
  const hcmTracing = bootstrap.staticSnapshot.listeners.find((l) => l.hcm.tracing)?.hcm.tracing?.raw;
  const resolveCluster = (name: string): string | undefined => {
    const address = staticClusterAddress(bootstrap, name);
    return address && `http://${address}`;
  };
  const settings = resolveTracingSettings(env, hcmTracing, { resolveCluster });
  return new GatewayTracer(settings, { logger: logger.child({ component: 'tracing' }), stats: gateway.stats });
}

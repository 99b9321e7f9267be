/** One endpoint of a cluster: its keep-alive connection pool and its live request count. */
import { buildConnector, errors } from 'undici';
import { ConnectionPool } from './connection-pool';
import { EndpointModel } from '../config/model';

/** How long an idle upstream keep-alive connection is kept (undici keepAliveTimeout). */
const UPSTREAM_KEEP_ALIVE_MS = 60_000;

export class UpstreamHost {
  readonly pool: ConnectionPool;
  /** Requests in flight, for LEAST_REQUEST and /clusters rq_active. */
  active = 0;
  total = 0;
  errors = 0;
  readonly address: string;
  /** The endpoint's DNS name when it came from one, else its address (auto_host_rewrite). */
  hostname: string;

  constructor(readonly host: string, readonly port: number, readonly weight: number, readonly healthy: boolean, connectTimeoutMs: number, maxConnections: number) {
    this.hostname = host;
    this.address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.pool = new ConnectionPool(`http://${this.address}`, {
      connections: maxConnections,
      connect: preciseConnectTimeout(connectTimeoutMs),
      keepAliveTimeout: UPSTREAM_KEEP_ALIVE_MS,
      keepAliveMaxTimeout: UPSTREAM_KEEP_ALIVE_MS,
      // The route timeout governs how long we wait; undici's own timeouts would answer first otherwise.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  static fromEndpoint(e: EndpointModel, connectTimeoutMs: number, maxConnections: number): UpstreamHost {
    const healthy = e.healthStatus !== 'UNHEALTHY' && e.healthStatus !== 'DRAINING' && e.healthStatus !== 'TIMEOUT';
    const h = new UpstreamHost(e.host, e.port, e.weight, healthy, connectTimeoutMs, maxConnections);
    if (e.hostname) h.hostname = e.hostname;
    return h;
  }

  /** Graceful: finish in-flight requests, then close the connections. */
  close(): Promise<void> {
    return this.pool.close().catch(() => undefined);
  }

  destroy(): Promise<void> {
    return this.pool.destroy().catch(() => undefined);
  }
}

/**
 * undici checks its own connect timeout on a coarse timer wheel (~0.5 s ticks): a connect_timeout of
 * 0.25 s fired after about a second. Envoy's fires on time, so the timer is ours: the connector runs
 * without undici's timeout and fails the connect with undici's ConnectTimeoutError when it expires.
 */
function preciseConnectTimeout(timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: 0 });
  return (options, callback) => {
    let settled = false;
    let socket: { destroy(): void } | undefined;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket?.destroy();
      callback(new errors.ConnectTimeoutError(`Connect Timeout Error (attempted address: ${options.hostname}:${options.port}, timeout: ${timeoutMs}ms)`), null);
    }, timeoutMs);
    // undici's connector returns the socket it is connecting (its typings say void).
    socket = (connect as unknown as (o: buildConnector.Options, cb: buildConnector.Callback) => { destroy(): void } | undefined)(options, (...args: buildConnector.CallbackArgs) => {
      if (settled) {
        args[1]?.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      callback(...args);
    });
  };
}

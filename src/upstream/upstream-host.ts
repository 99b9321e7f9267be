/** One endpoint of a cluster: its keep-alive undici pool and its live request count. */
import { Pool } from 'undici';
import { EndpointModel } from '../config/model';

/** How long an idle upstream keep-alive connection is kept (undici keepAliveTimeout). */
const UPSTREAM_KEEP_ALIVE_MS = 60_000;

export class UpstreamHost {
  readonly pool: Pool;
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
    this.pool = new Pool(`http://${this.address}`, {
      connections: maxConnections,
      pipelining: 1,
      connect: { timeout: connectTimeoutMs },
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

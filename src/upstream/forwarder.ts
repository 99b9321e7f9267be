/**
 * Sends one request to a cluster: pick a host, pass the circuit breaker, dispatch on the host's pool
 * under the route timeout, count it, and stream the answer back (the primary). Shadows go through
 * discarding-forwarder.ts, which shares admit() and failedUpstream() with it. Never throws: a failure
 * comes back as a value that errors.ts turns into Envoy's local reply.
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { UpstreamFailure, classifyUpstreamError, localReplyFor } from '../errors';
import { UpstreamCluster } from './upstream-cluster';
import { UpstreamHost } from './upstream-host';

export interface ForwardRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Readable | Buffer | string | null;
  /** Route timeout in ms; 0 disables it (Envoy). Covers the whole response, body included. */
  timeoutMs: number;
  /** Envoy's auto_host_rewrite: Host becomes the chosen endpoint's hostname. */
  autoHostRewrite?: boolean;
  /**
   * The downstream response: if it closes before it finished (client gone), the upstream request is
   * aborted. Watched through its 'close' event rather than an AbortSignal per request, which costs
   * several percent of a proxied request's CPU.
   */
  downstream?: DownstreamWatch;
}

export interface ForwardSuccess {
  ok: true;
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  host: UpstreamHost;
  /** ms from dispatch to response headers (x-envoy-upstream-service-time). */
  serviceTimeMs: number;
}

export interface ForwardFailure {
  ok: false;
  failure: UpstreamFailure;
  host?: UpstreamHost;
}

export type ForwardOutcome = ForwardSuccess | ForwardFailure;

export interface DownstreamWatch {
  readonly writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

/** undici accepts an EventEmitter with `aborted` as a signal; far cheaper than AbortController. */
class UpstreamAbort extends EventEmitter {
  aborted = false;
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

export async function forward(cluster: UpstreamCluster, req: ForwardRequest): Promise<ForwardOutcome> {
  const host = admit(cluster);
  if (!(host instanceof UpstreamHost)) return host;
  const stats = cluster.stats;
  const abort = new UpstreamAbort();
  let timedOut = false;
  // Envoy starts the route timeout when the downstream request is complete, not when it is dispatched:
  // a slow upload is not cut off by a timeout shorter than the upload.
  let timer: NodeJS.Timeout | undefined;
  // Closures here share one context that lives as long as the response: they must not capture `req`,
  // or the request's header object and body stay alive until it ends.
  const timeoutMs = req.timeoutMs;
  const startTimer = (): void => {
    if (timeoutMs > 0 && !released && timer === undefined) timer = setTimeout(() => { timedOut = true; abort.abort(); }, timeoutMs);
  };
  const downstream = req.downstream;
  const onDownstreamClose = (): void => {
    if (!downstream!.writableFinished) abort.abort();
  };
  downstream?.once('close', onDownstreamClose);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    if (timer) clearTimeout(timer);
    downstream?.removeListener('close', onDownstreamClose);
    releaseAdmission(cluster, host);
  };
  const body = req.body;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body) && !body.readableEnded) body.once('end', startTimer);
  else startTimer();
  if (req.autoHostRewrite && cluster.resolvesDns) req.headers.host = host.hostname;
  const started = performance.now();
  try {
    const res = await host.pool.request({
      method: req.method as 'GET',
      path: req.path,
      headers: req.headers as Record<string, string | string[]>,
      body: req.body ?? null,
      signal: abort,
    });
    const serviceTimeMs = Math.round(performance.now() - started);
    stats.response(res.statusCode);
    res.body.once('close', release);
    res.body.once('error', () => {
      if (timedOut) stats.rqTimeout.inc();
    });
    return { ok: true, statusCode: res.statusCode, headers: res.headers, body: res.body, host, serviceTimeMs };
  } catch (err) {
    release();
    return failedUpstream(cluster, host, err, timedOut);
  }
}

/** Host choice and circuit breaker: the host, counted as dispatched, or the failure to answer with. */
export function admit(cluster: UpstreamCluster): UpstreamHost | ForwardFailure {
  const host = cluster.pickHost();
  if (!host) return failed(cluster, { kind: 'no_healthy_upstream' });
  if (cluster.tryAcquire() !== 'ok') {
    cluster.stats.rqPendingOverflow.inc();
    return failed(cluster, { kind: 'overflow' }, host);
  }
  cluster.stats.rqTotal.inc();
  host.active++;
  host.total++;
  return host;
}

/** Gives back what admit() took: once per admitted request, when it ends however it ends. */
export function releaseAdmission(cluster: UpstreamCluster, host: UpstreamHost): void {
  host.active--;
  cluster.release();
}

/** No answer from the upstream: counted on the host and the cluster, and classified. */
export function failedUpstream(cluster: UpstreamCluster, host: UpstreamHost, err: unknown, timedOut: boolean): ForwardFailure {
  host.errors++;
  if (timedOut) {
    cluster.stats.rqTimeout.inc();
    return failed(cluster, { kind: 'timeout' }, host);
  }
  const failure = classifyUpstreamError(err);
  if (failure.kind === 'connect_failure' || failure.kind === 'connect_timeout') cluster.stats.cxConnectFail.inc();
  else cluster.stats.rqReset.inc();
  return failed(cluster, failure, host);
}

/** Envoy's router charges the local reply an upstream failure causes (503, 504) to upstream_rq_<code>. */
function failed(cluster: UpstreamCluster, failure: UpstreamFailure, host?: UpstreamHost): ForwardFailure {
  cluster.stats.response(localReplyFor(failure).status);
  return { ok: false, failure, ...(host ? { host } : {}) };
}

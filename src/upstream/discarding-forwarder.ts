/**
 * Sends a request whose answer nobody waits on (a shadow) and drops the answer as it arrives. Same host
 * choice, circuit breaker, route timeout and stats as forward() (forwarder.ts), but dispatched on the
 * host's pool with a handler of its own: no response stream, promise or abort emitter per request. A
 * slow shadow is in flight for its whole latency, and everything it holds is still alive at each
 * scavenge (docs/mirroring.md, "What the slow shadow costs the gateway").
 */
import { type Dispatcher, errors } from 'undici';
import { type ForwardFailure, admit, failedUpstream, releaseAdmission } from './forwarder';
import { UpstreamCluster } from './upstream-cluster';
import { UpstreamHost } from './upstream-host';

/** A request whose answer is read and thrown away (a shadow): its body is whole before it leaves. */
export interface DiscardingRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | null;
  /** Route timeout in ms, from dispatch; 0 disables it. */
  timeoutMs: number;
}

/** `complete` is false when the answer began but its body was cut short (reset, or the route timeout). */
export type DiscardingOutcome = { ok: true; statusCode: number; complete: boolean } | ForwardFailure;

/**
 * Returns the failure when the request is not admitted (no healthy host, circuit breaker full): then
 * nothing was sent and `done` is never called. Otherwise it is dispatched, undefined is returned, and
 * `done` is called exactly once with how it ended.
 */
export function forwardDiscarding(cluster: UpstreamCluster, req: DiscardingRequest, done: (outcome: DiscardingOutcome) => void): ForwardFailure | undefined {
  const host = admit(cluster);
  if (!(host instanceof UpstreamHost)) return host;
  const handler = new DiscardingHandler(cluster, host, req.timeoutMs, done);
  host.pool.dispatch({ method: req.method as 'GET', path: req.path, headers: req.headers as Record<string, string | string[]>, body: req.body }, handler);
  return undefined;
}

class DiscardingHandler implements Dispatcher.DispatchHandler {
  private abortRequest: ((err?: Error) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  /** 0 until the final (non-1xx) status line arrived. */
  private statusCode = 0;
  private finished = false;

  constructor(
    private readonly cluster: UpstreamCluster,
    private readonly host: UpstreamHost,
    timeoutMs: number,
    private readonly done: (outcome: DiscardingOutcome) => void,
  ) {
    if (timeoutMs > 0) this.timer = setTimeout(() => this.timeout(), timeoutMs);
  }

  onConnect(abort: (err?: Error) => void): void {
    // A request that waited for a connection past its timeout is aborted as it gets one (as undici's
    // request API does with an aborted signal).
    if (this.timedOut) abort(new errors.RequestAbortedError());
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number): boolean {
    if (statusCode < 200) return true; // 1xx: the final answer is still to come
    this.statusCode = statusCode;
    this.cluster.stats.response(statusCode);
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.finish({ ok: true, statusCode: this.statusCode, complete: true });
  }

  onError(err: Error): void {
    if (this.statusCode === 0) {
      this.finish(failedUpstream(this.cluster, this.host, err, this.timedOut));
      return;
    }
    if (this.timedOut) this.cluster.stats.rqTimeout.inc();
    this.finish({ ok: true, statusCode: this.statusCode, complete: false });
  }

  private timeout(): void {
    this.timedOut = true;
    this.abortRequest?.(new errors.RequestAbortedError());
  }

  private finish(outcome: DiscardingOutcome): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    // Only admitted requests get a handler; each gives its breaker slot back exactly once, here.
    releaseAdmission(this.cluster, this.host);
    this.done(outcome);
  }
}

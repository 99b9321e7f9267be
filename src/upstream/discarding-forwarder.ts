/**
 * Sends a request whose answer nobody waits on (a shadow) and drops the answer as it arrives. Same host
 * choice, circuit breaker, route timeout and stats as forward() (forwarder.ts), but dispatched on the
 * host's pool with a handler of its own: no response stream, promise or abort emitter per request. A
 * slow shadow is in flight for its whole latency, and everything it holds is still alive at each
 * scavenge (docs/mirroring.md, "What the slow shadow costs the gateway").
 */
import { type Dispatcher, errors } from 'undici';
import { type ForwardFailure, admit, failedUpstream } from './forwarder';
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
  /** Called once the circuit breaker has admitted the request, just before it is dispatched. */
  onDispatch?: () => void;
}

/** `complete` is false when the answer began but its body was cut short (reset, or the route timeout). */
export type DiscardingOutcome = { ok: true; statusCode: number; complete: boolean } | ForwardFailure;

/** `done` is called exactly once. */
export function forwardDiscarding(cluster: UpstreamCluster, req: DiscardingRequest, done: (outcome: DiscardingOutcome) => void): void {
  const host = admit(cluster);
  if (!(host instanceof UpstreamHost)) {
    done(host);
    return;
  }
  req.onDispatch?.();
  const handler = new DiscardingHandler(cluster, host, req.timeoutMs, done);
  host.pool.dispatch({ method: req.method as 'GET', path: req.path, headers: req.headers as Record<string, string | string[]>, body: req.body }, handler);
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
    this.host.active--;
    this.cluster.release();
    this.done(outcome);
  }
}

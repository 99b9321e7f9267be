/**
 * Reconnect delays for the ADS stream: exponential back-off with jitter, as Envoy's
 * JitteredExponentialBackOffStrategy (source/common/common/backoff_strategy.cc) and the xDS
 * protocol's advice that clients must not reconnect in lock-step after a management-server restart.
 */

/** First retry after ~100 ms: fast convergence after a blip, a control plane restart is seconds. */
export const DEFAULT_BACKOFF_BASE_MS = 100;
/** Ceiling: Envoy's gRPC mux caps its retry interval at 30 s as well. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;

export class JitteredBackoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = DEFAULT_BACKOFF_BASE_MS,
    private readonly maxMs = DEFAULT_BACKOFF_MAX_MS,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The delay before the next attempt: the ceiling doubles per failure up to maxMs, and the delay is
   * drawn from [ceiling/2, ceiling) ("equal jitter") so retries spread out but never collapse to 0.
   */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** Called once a stream proved healthy (a response arrived), as Envoy resets on a good stream. */
  reset(): void {
    this.attempt = 0;
  }
}

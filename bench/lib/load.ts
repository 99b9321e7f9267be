/**
 * A small closed-loop load generator (autocannon-like, bounded): `connections` keep-alive connections,
 * each sending its next request only when the previous answer has been read, for a fixed duration.
 * Closed loop means the offered load adapts to the server — what it measures is the latency a fixed
 * population of clients sees and the throughput they get, with no unbounded queue on our side.
 */
import { Pool } from 'undici';
import { LatencySummary, summarize } from './histogram';

export interface LoadOptions {
  /** Origin, e.g. http://127.0.0.1:10000 */
  url: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  connections: number;
  durationMs: number;
  /** Expected status; anything else counts as an error. */
  expectStatus?: number;
  /**
   * Paced mode: the connections together aim at this many requests/s (each starts its next request on
   * its own schedule, or at once when it is behind). Latency is measured from the actual send, so a
   * server slower than the schedule shows up as lower throughput rather than queueing time.
   */
  ratePerSec?: number;
}

export interface LoadResult {
  latency: LatencySummary;
  /** Every request's latency, in completion order (for merging several runs). */
  samplesMs: number[];
  requests: number;
  errors: number;
  elapsedMs: number;
  requestsPerSec: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(opts.url, { connections: opts.connections, pipelining: 1 });
  const samples: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + opts.durationMs;
  const expect = opts.expectStatus ?? 200;
  const intervalMs = opts.ratePerSec ? (opts.connections * 1000) / opts.ratePerSec : 0;
  const worker = async (index: number): Promise<void> => {
    // Spread the connections' schedules over one interval so paced requests do not arrive in bursts.
    let next = started + (intervalMs * index) / opts.connections;
    while (performance.now() < deadline) {
      if (intervalMs > 0) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next = Math.max(next + intervalMs, performance.now());
        if (performance.now() >= deadline) break;
      }
      const t0 = performance.now();
      try {
        const res = await pool.request({
          path: opts.path,
          method: (opts.method ?? 'GET') as 'GET',
          ...(opts.headers ? { headers: opts.headers } : {}),
          ...(opts.body !== undefined ? { body: opts.body } : {}),
        });
        await res.body.dump();
        if (res.statusCode !== expect) errors++;
      } catch {
        errors++;
      }
      samples.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, (_, i) => worker(i)));
  const elapsedMs = performance.now() - started;
  await pool.close();
  return { latency: summarize(samples), samplesMs: samples, requests: samples.length, errors, elapsedMs, requestsPerSec: (samples.length * 1000) / elapsedMs };
}

/** Several runs of the same scenario as one (interleaved slices of a benchmark). */
export function mergeLoads(runs: LoadResult[]): LoadResult {
  const samplesMs = runs.flatMap((r) => r.samplesMs);
  const elapsedMs = runs.reduce((s, r) => s + r.elapsedMs, 0);
  const errors = runs.reduce((s, r) => s + r.errors, 0);
  return { latency: summarize(samplesMs), samplesMs, requests: samplesMs.length, errors, elapsedMs, requestsPerSec: (samplesMs.length * 1000) / elapsedMs };
}

/**
 * Keep-alive HTTP/1.1 connections to one endpoint: undici `Client`s, one request at a time each, with
 * O(1) acquisition from a stack of idle connections.
 *
 * Why not undici's Pool: it looks for a free connection by scanning every connection it holds, twice per
 * request (once to pick, once more to see whether it is now saturated). A slow upstream — the 200 ms
 * shadow of a dark launch — keeps hundreds of connections busy, and those scans became the largest CPU
 * cost the slow shadow added to every request. Here a connection that finishes (undici's 'drain')
 * goes to the next waiting request or back on the idle stack; most recently used first, so the idle
 * tail ages out on the keep-alive timeout.
 *
 * Requests beyond `connections` wait in FIFO order (undici Pool does the same); the cluster's circuit
 * breaker bounds how many can be in flight or waiting.
 */
import { Client, Dispatcher, errors } from 'undici';

export type ConnectionPoolOptions = Client.Options & { connections: number };

interface Waiting {
  opts: Dispatcher.DispatchOptions;
  handler: Dispatcher.DispatchHandler;
}

export class ConnectionPool extends Dispatcher {
  private readonly clientOptions: Client.Options;
  private readonly maxConnections: number;
  private readonly clients = new Set<Client>();
  /** Connections ready for a request; the most recently used on top. */
  private readonly idle: Client[] = [];
  private waiting: Waiting[] = [];
  private waitingHead = 0;
  private connectedCount = 0;
  private closing = false;
  private onWaitingEmpty: (() => void) | undefined;

  constructor(
    private readonly origin: string,
    options: ConnectionPoolOptions,
  ) {
    super();
    const { connections, ...clientOptions } = options;
    this.maxConnections = connections > 0 ? connections : Infinity;
    this.clientOptions = { ...clientOptions, pipelining: 1 };
  }

  /** The shape of undici's PoolStats that the admin endpoint and tests read. */
  get stats(): { connected: number; queued: number; size: number } {
    return { connected: this.connectedCount, queued: this.waiting.length - this.waitingHead, size: this.clients.size };
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.closing) {
      handler.onError?.(new errors.ClientClosedError());
      return false;
    }
    const client = this.idle.pop() ?? this.open();
    if (client === undefined) {
      this.waiting.push({ opts, handler });
      return false;
    }
    client.dispatch(opts, handler);
    return true;
  }

  override async close(): Promise<void> {
    this.closing = true;
    if (this.waiting.length > this.waitingHead) await new Promise<void>((resolve) => (this.onWaitingEmpty = resolve));
    await Promise.all([...this.clients].map((c) => c.close().catch(() => undefined)));
  }

  /** Fails waiting requests and tears every connection down (the callback forms of undici's API are not used). */
  override async destroy(reason?: unknown): Promise<void> {
    const err = reason instanceof Error ? reason : undefined;
    this.closing = true;
    const waiting = this.waiting.slice(this.waitingHead);
    this.waiting = [];
    this.waitingHead = 0;
    for (const w of waiting) w.handler.onError?.(err ?? new errors.ClientDestroyedError());
    this.onWaitingEmpty?.();
    await Promise.all([...this.clients].map((c) => c.destroy(err ?? null).catch(() => undefined)));
  }

  private open(): Client | undefined {
    if (this.clients.size >= this.maxConnections) return undefined;
    const client = new Client(this.origin, this.clientOptions);
    client.on('drain', () => this.free(client));
    client.on('connect', () => this.connectedCount++);
    client.on('disconnect', () => this.connectedCount--);
    // As undici's Pool (nodejs/undici#3895): a connection that failed to connect is not used again.
    client.on('connectionError', () => this.retire(client));
    this.clients.add(client);
    return client;
  }

  /** The connection finished its request: the oldest waiting request gets it, else it goes idle. */
  private free(client: Client): void {
    if (!this.clients.has(client)) return;
    const next = this.nextWaiting();
    if (next !== undefined) {
      client.dispatch(next.opts, next.handler);
      return;
    }
    this.idle.push(client);
  }

  private retire(client: Client): void {
    if (!this.clients.delete(client)) return;
    const i = this.idle.lastIndexOf(client);
    if (i !== -1) this.idle.splice(i, 1);
    client.close().catch(() => undefined);
    // A waiting request takes the freed slot on a new connection.
    const next = this.nextWaiting();
    if (next !== undefined) this.open()!.dispatch(next.opts, next.handler);
  }

  private nextWaiting(): Waiting | undefined {
    if (this.waitingHead >= this.waiting.length) return undefined;
    const next = this.waiting[this.waitingHead];
    this.waiting[this.waitingHead++] = undefined as unknown as Waiting;
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
      this.onWaitingEmpty?.();
    }
    return next;
  }
}

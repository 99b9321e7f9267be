/**
 * One ADS stream (a gRPC bidi call) and what both protocol variants share: the node on the first
 * request (or on every one unless set_node_on_first_message_only), the end-of-stream signal, and the
 * NACK's error_detail. Nonces are per stream: "the nonce is valid only in the context of an individual
 * xDS stream; it does not survive stream restarts" (xDS protocol), so each stream keeps its own.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ResourceTypeUrl, isResourceTypeUrl } from './type-urls';
import { UpdateOutcome, XdsStateView, XdsUpdate } from './xds-update';

/** google.rpc.Code INVALID_ARGUMENT: what Envoy puts in a NACK's error_detail. */
export const NACK_STATUS_CODE = 3;

export type AdsCall = grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;

export interface AdsStreamEvents {
  onUpdate(update: XdsUpdate, stream: AdsStream): void;
  onEnd(stream: AdsStream, error: Error): void;
}

export interface AdsStreamOptions {
  view: XdsStateView;
  node: Record<string, unknown>;
  nodeOnFirstMessageOnly: boolean;
  events: AdsStreamEvents;
  log: Logger;
}

export abstract class AdsStream {
  private ended = false;
  private sentFirst = false;

  constructor(protected readonly call: AdsCall, protected readonly opts: AdsStreamOptions) {
    call.on('data', (msg: Record<string, unknown>) => {
      if (this.ended) return;
      const update = this.toUpdate(msg);
      if (update) opts.events.onUpdate(update, this);
    });
    call.on('error', (err: Error) => this.finish(err));
    call.on('status', (s: grpc.StatusObject) => this.finish(new Error(`stream closed: ${s.code} ${s.details}`)));
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Sends the first request of every subscribed type, resuming from what the client holds. */
  abstract open(): void;
  /** ACK (accepted) or NACK (error_detail) of one response. */
  abstract reply(update: XdsUpdate, outcome: UpdateOutcome): void;
  /** Sends subscription changes (RDS/EDS names) made since the last request. */
  abstract sync(): void;
  protected abstract toUpdate(msg: Record<string, unknown>): XdsUpdate | undefined;

  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    this.call.cancel();
  }

  protected send(request: Record<string, unknown>): void {
    if (this.ended) return;
    const withNode = !this.sentFirst || !this.opts.nodeOnFirstMessageOnly ? { ...request, node: this.opts.node } : request;
    this.sentFirst = true;
    this.call.write(withNode);
  }

  /** The response's type, if it is one this client subscribes to; anything else is ignored as Envoy does. */
  protected subscribedType(typeUrl: unknown): ResourceTypeUrl | undefined {
    if (typeof typeUrl === 'string' && isResourceTypeUrl(typeUrl) && this.opts.view.subscriptions().has(typeUrl)) return typeUrl;
    this.opts.log.warn({ typeUrl }, 'xds: ignoring a response for a type this client did not subscribe to');
    return undefined;
  }

  private finish(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.opts.events.onEnd(this, err);
  }
}

export function errorDetail(outcome: UpdateOutcome): Record<string, unknown> {
  return outcome.accepted ? {} : { error_detail: { code: NACK_STATUS_CODE, message: outcome.message } };
}

export function sortedNames(names: ReadonlySet<string>): string[] {
  return [...names].sort();
}

/**
 * The ADS client: one gRPC stream to the management server at a time (SotW or Delta), responses
 * handed to the config pipeline in order and answered with ACK/NACK once applied, and reconnection
 * with jittered exponential back-off. While disconnected nothing changes, so the gateway keeps
 * serving the last good config ("the last known configuration received by Envoy will persist until
 * the connection is reestablished", xDS protocol); a new stream re-subscribes and converges.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { adsService } from './protos';
import { AdsCall, AdsStream, AdsStreamOptions } from './ads-stream';
import { SotwAdsStream } from './ads-sotw-stream';
import { DeltaAdsStream } from './ads-delta-stream';
import { JitteredBackoff } from './xds-backoff';
import { XdsConfigUpdater } from './xds-updater';
import { XdsStats } from './xds-stats';
import { StatsStore } from '../telemetry/stats-store';
import { RESOURCE_TYPE_SHORT_NAMES } from './type-urls';
import { UpdateOutcome, XdsProtocol, XdsUpdate } from './xds-update';

export interface AdsClientOptions {
  /** host:port of the management server. */
  target: string;
  protocol: XdsProtocol;
  node: Record<string, unknown>;
  nodeOnFirstMessageOnly: boolean;
  /** grpc_services[0].initial_metadata, sent on every stream. */
  initialMetadata?: [string, string][];
  updater: XdsConfigUpdater;
  stats: StatsStore;
  log: Logger;
  backoff?: JitteredBackoff;
}

/** How often the connectivity watch re-arms while a channel is not READY. */
const CONNECTIVITY_WATCH_MS = 60_000;

export class AdsClient {
  private client: grpc.Client | undefined;
  private stream: AdsStream | undefined;
  private healthyStream: AdsStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly backoff: JitteredBackoff;
  private readonly stats: XdsStats;

  constructor(private readonly opts: AdsClientOptions) {
    this.backoff = opts.backoff ?? new JitteredBackoff();
    this.stats = new XdsStats(opts.stats);
    this.stats.connected(false);
  }

  start(): void {
    this.opts.updater.onSubscriptionsChanged = () => this.stream?.sync();
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.client?.close();
    this.stream = undefined;
    this.client = undefined;
    this.stats.connected(false);
  }

  private connect(): void {
    if (this.stopped) return;
    const { Client } = adsService();
    // A fresh channel per attempt: our back-off decides when to retry, not the channel's own.
    // Envoy's envoy_grpc has no receive limit by default; grpc-js would stop at 4 MiB.
    const client = new Client(this.opts.target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    const metadata = new grpc.Metadata();
    for (const [key, value] of this.opts.initialMetadata ?? []) metadata.add(key, value);
    const call = (this.opts.protocol === 'sotw' ? client.StreamAggregatedResources(metadata) : client.DeltaAggregatedResources(metadata)) as AdsCall;
    const streamOpts: AdsStreamOptions = {
      view: this.opts.updater,
      node: this.opts.node,
      nodeOnFirstMessageOnly: this.opts.nodeOnFirstMessageOnly,
      log: this.opts.log,
      events: { onUpdate: (u, s) => this.onUpdate(u, s), onEnd: (s, err) => this.onEnd(s, err) },
    };
    const stream = this.opts.protocol === 'sotw' ? new SotwAdsStream(call, streamOpts) : new DeltaAdsStream(call, streamOpts);
    this.client = client;
    this.stream = stream;
    this.watchConnected(client, stream);
    stream.open();
  }

  private onUpdate(update: XdsUpdate, stream: AdsStream): void {
    if (this.healthyStream !== stream) {
      this.healthyStream = stream;
      this.backoff.reset();
    }
    this.opts.log.debug({ type: RESOURCE_TYPE_SHORT_NAMES[update.typeUrl], version: update.versionInfo, nonce: update.nonce, resources: update.resources.length }, 'xds: response');
    this.opts.updater.handle(update).catch((err: Error): UpdateOutcome => {
      this.opts.log.error({ err }, 'xds: unexpected error while processing a response');
      return { accepted: false, message: `internal error: ${err.message}` };
    }).then((outcome) => {
      // The nonce belongs to its stream: a response from a stream that is gone is not answered.
      if (stream.closed) return;
      stream.reply(update, outcome);
      stream.sync();
    }, () => undefined);
  }

  private onEnd(stream: AdsStream, err: Error): void {
    if (stream !== this.stream) return;
    this.stats.connected(false);
    this.opts.updater.streamFailed();
    this.client?.close();
    this.client = undefined;
    this.stream = undefined;
    if (this.stopped) return;
    const delayMs = this.backoff.next();
    this.opts.log.warn({ target: this.opts.target, reason: err.message, retryInMs: delayMs }, 'xds: ADS stream closed; serving the last good config and reconnecting');
    this.retryTimer = setTimeout(() => {
      // Finish what the old stream delivered first, so the new stream resumes from the latest state.
      void this.opts.updater.idle().then(() => this.connect());
    }, delayMs);
  }

  /** control_plane.connected_state is 1 while the stream's channel is READY. */
  private watchConnected(client: grpc.Client, stream: AdsStream): void {
    const channel = client.getChannel();
    const check = (): void => {
      if (stream.closed || stream !== this.stream) return;
      const state = channel.getConnectivityState(false);
      if (state === grpc.connectivityState.READY) {
        this.stats.connected(true);
        this.opts.log.info({ target: this.opts.target, protocol: this.opts.protocol }, 'xds: connected to the management server');
        return;
      }
      channel.watchConnectivityState(state, Date.now() + CONNECTIVITY_WATCH_MS, check);
    };
    check();
  }
}

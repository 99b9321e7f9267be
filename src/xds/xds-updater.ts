/**
 * The config pipeline of the xDS client, one response at a time: decode → next resource set →
 * candidate snapshot (static + dynamic, validated as one) → warming → `gateway.apply` → answer.
 * An invalid response is answered with a NACK and changes nothing: the last good config keeps serving
 * ("The last valid configuration for an xDS API will continue to apply if a configuration update
 * rejection occurs", xDS protocol). A valid one is applied before the ACK is sent, so a change is
 * live by the time the management server sees the ACK.
 */
import type { Logger } from 'pino';
import { ConfigSnapshot } from '../config/snapshot';
import type { ConfigDumpSource } from '../admin/config-dump';
import { StatsStore } from '../telemetry/stats-store';
import { composeCandidate, DynamicEntries, StaticResources } from './xds-compose';
import { EntryMap, ResourceStore, kindOf, nextEntries } from './xds-resources';
import { dynamicConfigState, TypeErrors } from './xds-config-dump';
import { deriveSubscriptions, sameNames } from './xds-subscriptions';
import { Servable, WarmingTracker } from './xds-warming';
import { XdsStats, UpdateStat } from './xds-stats';
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, RESOURCE_TYPE_ORDER, RESOURCE_TYPE_SHORT_NAMES, ResourceTypeUrl } from './type-urls';
import { SubscriptionSet, UpdateOutcome, XdsStateView, XdsUpdate } from './xds-update';
import { DEFAULT_INITIAL_FETCH_TIMEOUT_MS } from '../config/config-source';
import { SerialQueue } from './serial-queue';

/** What the pipeline needs of the data plane; the Gateway provides it. */
export interface XdsGateway {
  apply(snapshot: ConfigSnapshot): Promise<void>;
  readonly stats: StatsStore;
  describe: ConfigDumpSource;
}

export interface UpdaterOptions {
  gateway: XdsGateway;
  staticSnapshot: ConfigSnapshot;
  ldsOverAds: boolean;
  cdsOverAds: boolean;
  log: Logger;
  /** How long start-up waits for the first LDS/CDS answers and warming (Envoy: initial_fetch_timeout, 15 s). */
  initTimeoutMs?: number;
}

/** error_detail messages stay readable; the full list is in the log. */
const MAX_ERROR_DETAIL_CHARS = 8_192;

export class XdsConfigUpdater implements XdsStateView {
  private readonly store = new ResourceStore();
  private readonly errors: TypeErrors = new Map();
  private readonly warming: WarmingTracker;
  private readonly stats: XdsStats;
  private readonly statics: StaticResources;
  private readonly wildcards: { lds: boolean; cds: boolean };
  private candidate: ConfigSnapshot;
  private applied: ConfigSnapshot;
  private warmingNow = { clusters: new Set<string>(), listeners: new Set<string>() };
  private subs: SubscriptionSet;
  private readonly queue = new SerialQueue();
  private readonly pendingInitial = new Set<ResourceTypeUrl>();
  private readonly initTimer: NodeJS.Timeout;
  private markInitialized!: () => void;
  private closed = false;
  /** Resolves once the first LDS/CDS answers arrived and nothing is warming, or after initTimeoutMs. */
  readonly initialized: Promise<void>;
  /** Called when subscriptions change outside an update (a warming deadline passed). */
  onSubscriptionsChanged: () => void = () => undefined;

  constructor(private readonly opts: UpdaterOptions) {
    const s = opts.staticSnapshot;
    this.statics = { listeners: [...s.resources.listeners], clusters: [...s.resources.clusters] };
    this.wildcards = { lds: opts.ldsOverAds, cds: opts.cdsOverAds };
    this.stats = new XdsStats(opts.gateway.stats);
    this.candidate = s;
    this.applied = s;
    this.subs = deriveSubscriptions(this.wildcards, [s]);
    if (opts.ldsOverAds) this.pendingInitial.add(LISTENER_TYPE_URL);
    if (opts.cdsOverAds) this.pendingInitial.add(CLUSTER_TYPE_URL);
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
    const initTimeoutMs = opts.initTimeoutMs ?? DEFAULT_INITIAL_FETCH_TIMEOUT_MS;
    this.initTimer = setTimeout(() => {
      opts.log.warn({ waitingFor: [...this.pendingInitial].map((t) => RESOURCE_TYPE_SHORT_NAMES[t]), warming: this.warmingSummary() }, `xds: initial fetch not complete after ${initTimeoutMs} ms, serving what is there`);
      this.markInitialized();
    }, initTimeoutMs);
    this.initTimer.unref();
    this.warming = new WarmingTracker(() => void this.reapply());
    // The static snapshot is already serving; this only starts the warming clocks of static RDS/EDS users.
    this.noteServable(this.warming.servable(s, s));
    this.publish();
    this.checkInitialized();
  }

  subscriptions(): SubscriptionSet {
    return this.subs;
  }

  versionInfo(typeUrl: ResourceTypeUrl): string {
    return this.store.versionInfo(typeUrl);
  }

  resourceVersions(typeUrl: ResourceTypeUrl): Record<string, string> {
    return this.store.resourceVersions(typeUrl);
  }

  /** Processes one response; responses are processed strictly in arrival order. */
  handle(update: XdsUpdate): Promise<UpdateOutcome> {
    return this.queue.run(() => this.process(update));
  }

  /** Resolves when every response handed in so far has been processed. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The stream broke: Envoy counts update_failure on each subscription (network failures). */
  streamFailed(): void {
    for (const t of [LISTENER_TYPE_URL, CLUSTER_TYPE_URL] as const) {
      if (this.subs.has(t)) this.stats.update(t, 'update_failure', [], this.candidate);
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.initTimer);
    this.warming.close();
  }

  private async process(update: XdsUpdate): Promise<UpdateOutcome> {
    const typeUrl = update.typeUrl;
    const subscribed = [...(this.subs.get(typeUrl)?.names ?? [])];
    const next = nextEntries(update, this.store.get(typeUrl), this.subs.get(typeUrl), new Date());
    if ('errors' in next) {
      this.count(typeUrl, 'update_attempt', subscribed);
      return this.reject(update, next.errors, subscribed);
    }
    this.count(typeUrl, 'update_attempt', next.names);
    if (next.ignored.length > 0) this.opts.log.debug({ type: RESOURCE_TYPE_SHORT_NAMES[typeUrl], ignored: next.ignored }, 'xds: ignoring resources that were not requested');
    const dynamic: DynamicEntries = new Map<ResourceTypeUrl, EntryMap>(RESOURCE_TYPE_ORDER.map((t) => [t, t === typeUrl ? next.entries : this.store.get(t)]));
    const composed = composeCandidate(this.statics, dynamic);
    if ('problems' in composed) return this.reject(update, composed.problems, next.names);
    const servable = this.warming.servable(composed.snapshot, this.applied);
    try {
      await this.opts.gateway.apply(servable.snapshot);
    } catch (err) {
      // E.g. a new listener cannot bind: Envoy rejects the LDS update. Put the last good set back.
      await this.opts.gateway.apply(this.applied).catch(() => undefined);
      return this.reject(update, [`${kindOf(typeUrl)} update could not be applied: ${(err as Error).message}`], next.names);
    }
    this.store.commit(typeUrl, next.entries, update.versionInfo);
    this.errors.delete(typeUrl);
    this.candidate = composed.snapshot;
    this.accept(servable);
    this.count(typeUrl, 'update_success', next.names);
    if (composed.warnings.length > 0) this.opts.log.warn({ warnings: composed.warnings }, 'xds: accepted with warnings');
    this.opts.log.info({ type: RESOURCE_TYPE_SHORT_NAMES[typeUrl], version: update.versionInfo, resources: next.names.length, warming: this.warmingSummary() }, 'xds: update accepted');
    this.initialAnswer(typeUrl);
    return { accepted: true };
  }

  private reject(update: XdsUpdate, problems: string[], names: readonly string[]): UpdateOutcome {
    const typeUrl = update.typeUrl;
    let message = problems.join('\n');
    if (message.length > MAX_ERROR_DETAIL_CHARS) message = `${message.slice(0, MAX_ERROR_DETAIL_CHARS)}… (${problems.length} problems in all)`;
    this.errors.set(typeUrl, { version: update.versionInfo, details: message, at: new Date() });
    this.count(typeUrl, 'update_rejected', names);
    this.publish();
    this.opts.log.warn({ type: RESOURCE_TYPE_SHORT_NAMES[typeUrl], version: update.versionInfo, problems }, 'xds: update rejected (NACK); the last good config keeps serving');
    // Envoy's init manager also moves on after a rejected initial fetch.
    this.initialAnswer(typeUrl);
    return { accepted: false, message };
  }

  /** A warming deadline passed: recompute what serves from the same candidate and apply it. */
  private reapply(): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      const servable = this.warming.servable(this.candidate, this.applied);
      try {
        await this.opts.gateway.apply(servable.snapshot);
      } catch (err) {
        this.opts.log.error({ err }, 'xds: applying after a warming timeout failed');
        return;
      }
      if (this.accept(servable)) this.onSubscriptionsChanged();
      this.checkInitialized();
    });
  }

  /** Records what is now serving; returns whether the RDS/EDS subscriptions changed. */
  private accept(servable: Servable): boolean {
    this.applied = servable.snapshot;
    this.noteServable(servable);
    const subs = deriveSubscriptions(this.wildcards, [this.candidate, this.applied]);
    let changed = false;
    for (const [typeUrl, sub] of subs) {
      if (!sub.wildcard) this.store.prune(typeUrl, sub.names);
      if (!sameNames(sub.names, this.subs.get(typeUrl)?.names ?? new Set())) changed = true;
    }
    this.subs = subs;
    this.publish();
    return changed;
  }

  private noteServable(servable: Servable): void {
    this.warmingNow = { clusters: new Set(servable.warmingClusters), listeners: new Set(servable.warmingListeners) };
    for (const key of servable.timedOut) this.opts.log.warn(`xds: ${key} did not get its resource within initial_fetch_timeout; serving without it`);
  }

  private count(typeUrl: ResourceTypeUrl, stat: UpdateStat, names: readonly string[]): void {
    this.stats.update(typeUrl, stat, names, this.candidate);
  }

  private initialAnswer(typeUrl: ResourceTypeUrl): void {
    this.pendingInitial.delete(typeUrl);
    this.checkInitialized();
  }

  private checkInitialized(): void {
    if (this.pendingInitial.size === 0 && this.warmingNow.clusters.size === 0 && this.warmingNow.listeners.size === 0) {
      // Done before initial_fetch_timeout: the timer must not fire and warn about a fetch that completed.
      clearTimeout(this.initTimer);
      this.markInitialized();
    }
  }

  private warmingSummary(): { clusters: string[]; listeners: string[] } {
    return { clusters: [...this.warmingNow.clusters], listeners: [...this.warmingNow.listeners] };
  }

  private publish(): void {
    this.opts.gateway.describe.dynamic = dynamicConfigState(this.store, this.warmingNow, this.errors);
  }
}

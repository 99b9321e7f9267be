/**
 * Every connected gateway (one record per ADS stream: a gateway that reconnects shows up once its
 * old stream is gone) and where it stands: per resource type what it subscribed to, which version it
 * ACKed, and its last NACK. Emits 'gateway' events that Watch streams and `push --wait` consume.
 */
import { EventEmitter } from 'node:events';
import { RESOURCE_TYPE_ORDER, ResourceTypeUrl, isFullStateType } from '../xds/type-urls';
import { SnapshotStore } from './snapshot-store';
import { Subscription } from './subscription';
import { TYPE_URL_KIND, shortType } from './resource-kinds';

export type GatewayState = 'CONNECTING' | 'SYNCED' | 'PENDING' | 'NACKED';
export type GatewayEventKind = 'connected' | 'updated' | 'disconnected';

export interface NackInfo {
  /** The version the gateway rejected. */
  version: string;
  message: string;
  at: Date;
}

/** Per stream, per resource type. */
export class TypeState {
  readonly sub = new Subscription();
  /** Last version the client ACKed ("" = none). */
  ackedVersion = '';
  /** Version of the last response sent, or found already in place ("" = none). */
  servedVersion = '';
  lastNack?: NackInfo;
  constructor(readonly typeUrl: ResourceTypeUrl) {}
}

export interface TypeStatusView {
  type: string;
  typeUrl: string;
  ackedVersion: string;
  servedVersion: string;
  lastNack?: NackInfo;
  subscribed: string[];
}

export interface GatewayStatusView {
  streamId: string;
  nodeId: string;
  group: string;
  protocol: 'SOTW' | 'DELTA';
  connectedSince: Date;
  peer: string;
  userAgent: string;
  state: GatewayState;
  syncedVersion: string;
  targetVersion: string;
  types: TypeStatusView[];
}

export interface GatewayIdentity {
  nodeId: string;
  group: string;
  protocol: 'SOTW' | 'DELTA';
  peer: string;
  userAgent: string;
}

export class GatewayRecord {
  readonly connectedSince = new Date();
  readonly types = new Map<ResourceTypeUrl, TypeState>();
  /** Config version the gateway was last fully in sync with (0 = never). */
  syncedVersion = 0;

  constructor(readonly streamId: string, readonly identity: GatewayIdentity) {}

  type(typeUrl: ResourceTypeUrl): TypeState {
    let t = this.types.get(typeUrl);
    if (!t) {
      t = new TypeState(typeUrl);
      this.types.set(typeUrl, t);
    }
    return t;
  }
}

export class GatewayRegistry extends EventEmitter {
  private readonly records = new Map<string, GatewayRecord>();
  private nextStreamId = 1;

  constructor(private readonly store: SnapshotStore) {
    super();
    // Many Watch streams may listen; the default limit of 10 is for catching leaks in small apps.
    this.setMaxListeners(0);
  }

  add(identity: GatewayIdentity): GatewayRecord {
    const record = new GatewayRecord(String(this.nextStreamId++), identity);
    this.records.set(record.streamId, record);
    this.emit('gateway', 'connected', this.view(record));
    return record;
  }

  remove(record: GatewayRecord): void {
    if (!this.records.delete(record.streamId)) return;
    this.emit('gateway', 'disconnected', this.view(record));
  }

  /** Call after anything about the record changed: recomputes its state and tells watchers. */
  changed(record: GatewayRecord): void {
    if (!this.records.has(record.streamId)) return;
    this.emit('gateway', 'updated', this.view(record));
  }

  list(group?: string): GatewayStatusView[] {
    return [...this.records.values()].filter((r) => !group || r.identity.group === group).map((r) => this.view(r));
  }

  get size(): number {
    return this.records.size;
  }

  view(record: GatewayRecord): GatewayStatusView {
    const { state, target } = this.evaluate(record);
    return {
      streamId: record.streamId,
      ...record.identity,
      connectedSince: record.connectedSince,
      state,
      syncedVersion: record.syncedVersion > 0 ? String(record.syncedVersion) : '',
      targetVersion: target,
      types: RESOURCE_TYPE_ORDER.filter((t) => record.types.has(t)).map((t) => {
        const s = record.types.get(t) as TypeState;
        return { type: shortType(t), typeUrl: t, ackedVersion: s.ackedVersion, servedVersion: s.servedVersion, ...(s.lastNack ? { lastNack: s.lastNack } : {}), subscribed: s.sub.describe() };
      }),
    };
  }

  /**
   * SYNCED: every type the gateway subscribes to is ACKed at the version its group is served.
   * NACKED: it rejected the version currently served for some type (and has not ACKed it since).
   */
  private evaluate(record: GatewayRecord): { state: GatewayState; target: string } {
    const subscribed = [...record.types.values()].filter((t) => t.sub.requested && (t.sub.active || isFullStateType(t.typeUrl)));
    const served = this.store.effective(record.identity.group);
    if (!served) return { state: subscribed.length > 0 ? 'PENDING' : 'CONNECTING', target: '' };
    const target = String(served.configVersion);
    if (subscribed.length === 0) return { state: 'CONNECTING', target };
    let state: GatewayState = 'SYNCED';
    for (const t of subscribed) {
      const expected = String(served.typeVersions[TYPE_URL_KIND[t.typeUrl]]);
      if (t.ackedVersion === expected) continue;
      if (t.lastNack?.version === expected) return { state: 'NACKED', target };
      state = 'PENDING';
    }
    if (state === 'SYNCED') record.syncedVersion = served.configVersion;
    return { state, target };
  }
}

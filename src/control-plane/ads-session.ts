/**
 * What SotW and Delta ADS streams share: the gateway's identity from the first request's node
 * (xDS: only the first request of a stream is guaranteed to carry it), its registry record, and a
 * listener on the store so every accepted version is fanned out to the stream.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isResourceTypeUrl, RESOURCE_TYPE_ORDER, ResourceTypeUrl } from '../xds/type-urls';
import { GatewayRecord, GatewayRegistry, TypeState } from './gateway-registry';
import { GroupView, SnapshotStore } from './snapshot-store';
import { EncodedResource } from './encoded-config';
import { TYPE_URL_KIND } from './resource-kinds';

export interface NodeLike {
  id?: string;
  cluster?: string;
  user_agent_name?: string;
  user_agent_version?: string;
}

export interface SessionDeps {
  store: SnapshotStore;
  registry: GatewayRegistry;
  logger: Logger;
  /** Identifies this server in responses (DiscoveryResponse.control_plane). */
  identifier: string;
}

type AnyCall = grpc.ServerDuplexStream<unknown, unknown>;

export abstract class AdsSession<Req extends { type_url?: string; response_nonce?: string }> {
  protected record?: GatewayRecord;
  private nonceCounter = 0;
  private closed = false;
  private readonly onVersion = (): void => this.guard(() => this.onStoreChange());

  constructor(protected readonly deps: SessionDeps, protected readonly call: AnyCall, private readonly protocol: 'SOTW' | 'DELTA') {}

  start(): void {
    this.deps.store.on('version', this.onVersion);
    this.call.on('data', (req: Req) => this.guard(() => this.onRequest(req)));
    this.call.on('end', () => this.end());
    this.call.on('error', () => this.close());
    this.call.on('cancelled', () => this.close());
    this.call.on('close', () => this.close());
  }

  protected abstract handle(req: Req, typeUrl: ResourceTypeUrl, state: TypeState): void;
  /** Called for each type the stream uses, in CDS, EDS, LDS, RDS order, after a new version. */
  protected abstract refresh(typeUrl: ResourceTypeUrl, state: TypeState, served: GroupView): void;
  protected abstract nodeOf(req: Req): NodeLike | undefined;

  protected nextNonce(): string {
    this.nonceCounter += 1;
    return String(this.nonceCounter);
  }

  protected served(): GroupView | undefined {
    return this.record ? this.deps.store.effective(this.record.identity.group) : undefined;
  }

  protected write(message: unknown): void {
    if (!this.closed) this.call.write(message);
  }

  /** Resources of the type this subscription wants, in document order. */
  protected select(served: GroupView, state: TypeState): EncodedResource[] {
    const all = served.encoded[TYPE_URL_KIND[state.typeUrl]];
    if (state.sub.wildcard) return [...all.values()];
    const out: EncodedResource[] = [];
    for (const r of all.values()) if (state.sub.names.has(r.name)) out.push(r);
    return out;
  }

  protected typeVersion(served: GroupView, typeUrl: ResourceTypeUrl): string {
    return String(served.typeVersions[TYPE_URL_KIND[typeUrl]]);
  }

  private onRequest(req: Req): void {
    if (!this.record) {
      const node = this.nodeOf(req) ?? {};
      const peer = this.call.getPeer();
      this.record = this.deps.registry.add({
        nodeId: node.id ?? '',
        group: node.cluster ?? '',
        protocol: this.protocol,
        peer,
        userAgent: [node.user_agent_name, node.user_agent_version].filter(Boolean).join('/'),
      });
      this.deps.logger.info({ node: node.id, group: node.cluster, peer, protocol: this.protocol }, 'gateway connected');
    }
    const typeUrl = req.type_url ?? '';
    if (!isResourceTypeUrl(typeUrl)) {
      // No signal exists for "type not served" in SotW; the client's initial_fetch_timeout covers it.
      this.deps.logger.debug({ typeUrl, node: this.record.identity.nodeId }, 'request for a resource type this control plane does not serve');
      return;
    }
    this.handle(req, typeUrl, this.record.type(typeUrl));
    this.deps.registry.changed(this.record);
  }

  private onStoreChange(): void {
    const served = this.served();
    if (!this.record || !served) return;
    for (const typeUrl of RESOURCE_TYPE_ORDER) {
      const state = this.record.types.get(typeUrl);
      if (state?.sub.requested) this.refresh(typeUrl, state, served);
    }
    this.deps.registry.changed(this.record);
  }

  /** A bug in one stream's handling must end that stream, not the process. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ err, node: this.record?.identity.nodeId }, 'ADS stream failed');
      this.close();
      // grpc-js turns an 'error' event on a server stream into the call's final status.
      this.call.emit('error', Object.assign(new Error(`internal error: ${(err as Error).message}`), { code: 13 }));
    }
  }

  /** Ends the stream from our side (control-plane shutdown); clients reconnect and resume. */
  end(): void {
    this.close();
    if (!this.call.writableEnded) this.call.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.store.off('version', this.onVersion);
    if (this.record) {
      this.deps.registry.remove(this.record);
      this.deps.logger.info({ node: this.record.identity.nodeId, group: this.record.identity.group }, 'gateway disconnected');
    }
  }
}

/**
 * A request's error_detail marks a NACK when it says anything (google.rpc.Status): some clients send
 * code 0 with a message, so either field counts.
 */
export function isError(status: { code?: number; message?: string } | null | undefined): boolean {
  return !!status && ((status.code ?? 0) !== 0 || (status.message ?? '') !== '');
}

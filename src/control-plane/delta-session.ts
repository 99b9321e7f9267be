/**
 * Incremental ADS (DeltaAggregatedResources), per the xDS protocol's delta rules:
 * - Each resource carries its own version (our content hash). The server tracks what the client
 *   has and sends only resources that differ, plus removed_resources for those it should drop.
 * - First request of a type: initial_resource_versions lists what the client kept from a previous
 *   stream, so unchanged resources are not sent again ("no state is assumed to be preserved from
 *   the previous stream" — but the client tells us what it has).
 * - Names in resource_names_subscribe are sent even if we think the client has them; a named
 *   resource that does not exist is reported in removed_resources (Delta's "does not exist" signal).
 * - Unsubscribing a name still covered by "*" must be answered with it in resources.
 * - Subscription changes are honoured even when the nonce is stale; ACK/NACK is by nonce and
 *   error_detail only.
 */
import { TypeState } from './gateway-registry';
import { AdsSession, NodeLike, isError } from './ads-session';
import { GroupView } from './snapshot-store';
import { TYPE_URL_KIND } from './resource-kinds';
import { ResourceTypeUrl } from '../xds/type-urls';

export interface DeltaDiscoveryRequest {
  node?: NodeLike;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

interface DeltaTypeState {
  /** What the client has: name → version (as sent by us or declared in initial_resource_versions). */
  known: Map<string, string>;
  /** Responses awaiting ACK/NACK: nonce → type version. */
  pending: Map<string, string>;
  /** Named resources already reported as not existing. */
  toldMissing: Set<string>;
}

export class DeltaSession extends AdsSession<DeltaDiscoveryRequest> {
  private readonly delta = new Map<ResourceTypeUrl, DeltaTypeState>();

  protected nodeOf(req: DeltaDiscoveryRequest): NodeLike | undefined {
    return req.node ?? undefined;
  }

  protected handle(req: DeltaDiscoveryRequest, typeUrl: ResourceTypeUrl, state: TypeState): void {
    let d = this.delta.get(typeUrl);
    const first = !d;
    if (!d) {
      d = { known: new Map(Object.entries(req.initial_resource_versions ?? {})), pending: new Map(), toldMissing: new Set() };
      this.delta.set(typeUrl, d);
    }
    const nonce = req.response_nonce ?? '';
    const answered = nonce === '' ? undefined : d.pending.get(nonce);
    if (answered !== undefined) {
      d.pending.delete(nonce);
      if (isError(req.error_detail)) {
        state.lastNack = { version: answered, message: req.error_detail?.message ?? '', at: new Date() };
        this.deps.logger.warn({ node: this.record?.identity.nodeId, type: typeUrl, version: answered, error: state.lastNack.message }, 'gateway NACKed');
      } else state.ackedVersion = answered;
    }
    const unsubscribe = req.resource_names_unsubscribe ?? [];
    const added = state.sub.update(req.resource_names_subscribe ?? [], unsubscribe);
    const force = new Set<string>();
    // On the first request the client's initial_resource_versions already say what it has.
    if (!first) for (const n of added) force.add(n);
    for (const n of unsubscribe) {
      if (state.sub.wants(n)) force.add(n);
      else d.known.delete(n);
    }
    for (const n of added) d.toldMissing.delete(n);
    const served = this.served();
    if (served && (first || force.size > 0 || added.length > 0 || unsubscribe.length > 0 || (req.resource_names_subscribe ?? []).length > 0)) {
      this.respond(typeUrl, state, d, served, force);
    }
  }

  protected refresh(typeUrl: ResourceTypeUrl, state: TypeState, served: GroupView): void {
    const d = this.delta.get(typeUrl);
    if (d && state.servedVersion !== this.typeVersion(served, typeUrl)) this.respond(typeUrl, state, d, served, new Set());
  }

  private respond(typeUrl: ResourceTypeUrl, state: TypeState, d: DeltaTypeState, served: GroupView, force: Set<string>): void {
    const version = this.typeVersion(served, typeUrl);
    const all = served.encoded[TYPE_URL_KIND[typeUrl]];
    const wanted = this.select(served, state);
    const wantedNames = new Set(wanted.map((r) => r.name));
    const send = wanted.filter((r) => force.has(r.name) || d.known.get(r.name) !== r.hash);
    const removed = [...d.known.keys()].filter((n) => !wantedNames.has(n));
    for (const n of state.sub.names) {
      if (!all.has(n) && !d.known.has(n) && !d.toldMissing.has(n)) {
        removed.push(n);
        d.toldMissing.add(n);
      }
    }
    state.servedVersion = version;
    if (send.length === 0 && removed.length === 0) {
      // Nothing to say: the client already holds exactly what we serve, unless it rejected it.
      if (d.pending.size === 0 && state.lastNack?.version !== version) state.ackedVersion = version;
      return;
    }
    for (const r of send) {
      d.known.set(r.name, r.hash);
      d.toldMissing.delete(r.name);
    }
    for (const n of removed) d.known.delete(n);
    const nonce = this.nextNonce();
    d.pending.set(nonce, version);
    this.write({
      system_version_info: version,
      resources: send.map((r) => ({ name: r.name, version: r.hash, resource: r.any })),
      removed_resources: removed,
      type_url: typeUrl,
      nonce,
      control_plane: { identifier: this.deps.identifier },
    });
  }
}

/**
 * State-of-the-world ADS (StreamAggregatedResources), per the xDS protocol:
 * - ACK/NACK: a request whose response_nonce is the latest nonce we sent for the type is the
 *   client's verdict on that response. error_detail set = NACK. Clients differ in the version_info
 *   of a NACK (Envoy sends the previous version, some send the rejected one), so only error_detail
 *   and the nonce decide, never version_info.
 * - A request carrying an older nonce is stale and ignored ("the server should not respond to a
 *   request with a stale nonce"): a newer response is already on its way.
 * - LDS/CDS responses carry the complete set the client subscribes to (a missing resource means
 *   deleted); RDS/EDS carry the named resources.
 * - Reconnect: the first request of a type on a new stream has no nonce and the version the client
 *   has. A wildcard subscriber already at the served version gets nothing (as go-control-plane does),
 *   so a restarted control plane causes no config change; named subscribers get a response, since
 *   we cannot know which names the client already holds.
 */
import { TypeState } from './gateway-registry';
import { AdsSession, NodeLike, isError } from './ads-session';
import { GroupView } from './snapshot-store';
import { ResourceTypeUrl } from '../xds/type-urls';

export interface DiscoveryRequest {
  version_info?: string;
  node?: NodeLike;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

interface SotwTypeState {
  /** Nonce of the latest response of this type. */
  nonce: string;
}

export class SotwSession extends AdsSession<DiscoveryRequest> {
  private readonly nonces = new Map<ResourceTypeUrl, SotwTypeState>();

  protected nodeOf(req: DiscoveryRequest): NodeLike | undefined {
    return req.node ?? undefined;
  }

  protected handle(req: DiscoveryRequest, typeUrl: ResourceTypeUrl, state: TypeState): void {
    const nonce = req.response_nonce ?? '';
    const latest = this.nonces.get(typeUrl)?.nonce ?? '';
    if (nonce !== '' && nonce !== latest) return;
    const nack = nonce !== '' && isError(req.error_detail);
    if (nack) {
      state.lastNack = { version: state.servedVersion, message: req.error_detail?.message ?? '', at: new Date() };
      this.deps.logger.warn({ node: this.record?.identity.nodeId, type: typeUrl, version: state.servedVersion, error: state.lastNack.message }, 'gateway NACKed');
    } else if (nonce !== '') {
      state.ackedVersion = state.servedVersion;
    }
    const before = state.sub.requested ? state.sub.describe().join('\n') : undefined;
    state.sub.replace(req.resource_names ?? []);
    const subscriptionChanged = before !== state.sub.describe().join('\n');
    const served = this.served();
    if (!served) return;
    const current = this.typeVersion(served, typeUrl);
    if (nonce === '') {
      const clientVersion = req.version_info ?? '';
      if (clientVersion !== '' && clientVersion === current && state.sub.wildcard && state.sub.names.size === 0) {
        state.servedVersion = current;
        state.ackedVersion = current;
        return;
      }
      this.respond(typeUrl, state, served);
      return;
    }
    // After a NACK only a subscription change warrants a response; resending the rejected version
    // would only be rejected again. It is retried with the next version.
    if (subscriptionChanged || (!nack && state.servedVersion !== current)) this.respond(typeUrl, state, served);
  }

  protected refresh(typeUrl: ResourceTypeUrl, state: TypeState, served: GroupView): void {
    if (state.servedVersion !== this.typeVersion(served, typeUrl)) this.respond(typeUrl, state, served);
  }

  private respond(typeUrl: ResourceTypeUrl, state: TypeState, served: GroupView): void {
    const nonce = this.nextNonce();
    const version = this.typeVersion(served, typeUrl);
    this.nonces.set(typeUrl, { nonce });
    state.servedVersion = version;
    this.write({
      version_info: version,
      resources: this.select(served, state).map((r) => r.any),
      type_url: typeUrl,
      nonce,
      control_plane: { identifier: this.deps.identifier },
    });
  }
}

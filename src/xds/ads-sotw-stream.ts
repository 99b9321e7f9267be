/**
 * State-of-the-World ADS (StreamAggregatedResources). Every request of a type carries the full list
 * of names wanted (empty for the wildcard LDS/CDS subscriptions, never sent for RDS/EDS before there
 * is a name: an empty first list would mean wildcard), the last accepted version_info and the nonce
 * of the last response of that type. On a new stream the first request carries the last version seen
 * and an empty nonce ("the client's initial request on the new stream should indicate the most recent
 * version seen by the client on the previous stream").
 */
import { AdsStream, errorDetail, sortedNames } from './ads-stream';
import { RESOURCE_TYPE_ORDER, ResourceTypeUrl } from './type-urls';
import { AnyMessage } from './any-codec';
import { UpdateOutcome, XdsUpdate } from './xds-update';

export class SotwAdsStream extends AdsStream {
  private readonly nonces = new Map<ResourceTypeUrl, string>();
  /** Names last sent per type, joined; absent until the first request of that type. */
  private readonly sent = new Map<ResourceTypeUrl, string>();

  open(): void {
    for (const typeUrl of RESOURCE_TYPE_ORDER) {
      const sub = this.opts.view.subscriptions().get(typeUrl);
      if (sub && (sub.wildcard || sub.names.size > 0)) this.request(typeUrl, {});
    }
  }

  reply(update: XdsUpdate, outcome: UpdateOutcome): void {
    this.nonces.set(update.typeUrl, update.nonce);
    // On a NACK the version stays the previous accepted one (the store did not move).
    this.request(update.typeUrl, errorDetail(outcome));
  }

  sync(): void {
    for (const [typeUrl, sub] of this.opts.view.subscriptions()) {
      if (sub.wildcard) continue;
      const last = this.sent.get(typeUrl);
      const names = sortedNames(sub.names).join('\n');
      if (last === undefined ? sub.names.size > 0 : last !== names) this.request(typeUrl, {});
    }
  }

  protected toUpdate(msg: Record<string, unknown>): XdsUpdate | undefined {
    const typeUrl = this.subscribedType(msg.type_url);
    if (!typeUrl) return undefined;
    return {
      typeUrl,
      protocol: 'sotw',
      versionInfo: typeof msg.version_info === 'string' ? msg.version_info : '',
      nonce: typeof msg.nonce === 'string' ? msg.nonce : '',
      resources: ((msg.resources as AnyMessage[] | undefined) ?? []).map((any) => ({ any })),
      removed: [],
    };
  }

  private request(typeUrl: ResourceTypeUrl, extra: Record<string, unknown>): void {
    const sub = this.opts.view.subscriptions().get(typeUrl);
    const names = sub && !sub.wildcard ? sortedNames(sub.names) : [];
    this.sent.set(typeUrl, names.join('\n'));
    this.send({
      version_info: this.opts.view.versionInfo(typeUrl),
      resource_names: names,
      type_url: typeUrl,
      response_nonce: this.nonces.get(typeUrl) ?? '',
      ...extra,
    });
  }
}

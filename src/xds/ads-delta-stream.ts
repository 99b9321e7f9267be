/**
 * Incremental ADS (DeltaAggregatedResources). The first request of a type subscribes (wildcard LDS/CDS
 * in the legacy form: an empty first subscribe list) and lists `initial_resource_versions` so the
 * server can skip what the client already has ("no state is assumed to be preserved from the previous
 * stream"); later requests carry only subscription changes; ACK/NACK echo the response nonce.
 */
import { AdsStream, errorDetail, sortedNames } from './ads-stream';
import { RESOURCE_TYPE_ORDER, ResourceTypeUrl } from './type-urls';
import { AnyMessage } from './any-codec';
import { RawResource, UpdateOutcome, XdsUpdate } from './xds-update';

interface DeltaResource {
  name?: string;
  version?: string;
  resource?: AnyMessage;
}

export class DeltaAdsStream extends AdsStream {
  /** Names subscribed on this stream per type (RDS/EDS). */
  private readonly sent = new Map<ResourceTypeUrl, Set<string>>();

  open(): void {
    for (const typeUrl of RESOURCE_TYPE_ORDER) {
      const sub = this.opts.view.subscriptions().get(typeUrl);
      if (!sub) continue;
      const held = this.opts.view.resourceVersions(typeUrl);
      // A placeholder for a removed resource has no version: the server must send it again.
      const versions = Object.fromEntries(Object.entries(held).filter(([name, v]) => v !== '' && (sub.wildcard || sub.names.has(name))));
      if (sub.wildcard) this.send({ type_url: typeUrl, initial_resource_versions: versions });
      else if (sub.names.size > 0) this.send({ type_url: typeUrl, resource_names_subscribe: sortedNames(sub.names), initial_resource_versions: versions });
      if (!sub.wildcard) this.sent.set(typeUrl, new Set(sub.names));
    }
  }

  reply(update: XdsUpdate, outcome: UpdateOutcome): void {
    this.send({ type_url: update.typeUrl, response_nonce: update.nonce, ...errorDetail(outcome) });
  }

  sync(): void {
    for (const [typeUrl, sub] of this.opts.view.subscriptions()) {
      if (sub.wildcard) continue;
      const before = this.sent.get(typeUrl) ?? new Set<string>();
      const subscribe = sortedNames(new Set([...sub.names].filter((n) => !before.has(n))));
      const unsubscribe = sortedNames(new Set([...before].filter((n) => !sub.names.has(n))));
      if (subscribe.length === 0 && unsubscribe.length === 0) continue;
      this.sent.set(typeUrl, new Set(sub.names));
      this.send({ type_url: typeUrl, resource_names_subscribe: subscribe, resource_names_unsubscribe: unsubscribe });
    }
  }

  protected toUpdate(msg: Record<string, unknown>): XdsUpdate | undefined {
    const typeUrl = this.subscribedType(msg.type_url);
    if (!typeUrl) return undefined;
    const resources: RawResource[] = ((msg.resources as DeltaResource[] | undefined) ?? []).map((r) => ({
      ...(r.resource ? { any: r.resource } : {}),
      name: r.name ?? '',
      version: r.version ?? '',
    }));
    return {
      typeUrl,
      protocol: 'delta',
      versionInfo: typeof msg.system_version_info === 'string' ? msg.system_version_info : '',
      nonce: typeof msg.nonce === 'string' ? msg.nonce : '',
      resources,
      removed: ((msg.removed_resources as string[] | undefined) ?? []).filter((n) => typeof n === 'string'),
    };
  }
}

/**
 * The protocol-neutral shape of one DiscoveryResponse (SotW) or DeltaDiscoveryResponse (Delta) as the
 * config pipeline sees it, and what the pipeline answers: the stream turns the answer into an ACK or
 * a NACK on the wire.
 */
import type { AnyMessage } from './any-codec';
import type { ResourceTypeUrl } from './type-urls';

export type XdsProtocol = 'sotw' | 'delta';

export interface RawResource {
  /** Absent in a Delta heartbeat (Resource with only name and version). */
  any?: AnyMessage;
  /** Delta Resource.name / Resource.version; SotW resources are named by their content. */
  name?: string;
  version?: string;
}

export interface XdsUpdate {
  typeUrl: ResourceTypeUrl;
  protocol: XdsProtocol;
  /** SotW version_info; Delta system_version_info (debug only, per the protocol). */
  versionInfo: string;
  nonce: string;
  resources: RawResource[];
  /** Delta removed_resources; always empty for SotW. */
  removed: string[];
}

export type UpdateOutcome = { accepted: true } | { accepted: false; message: string };

/** What the client asks for, per type: a wildcard (LDS, CDS) or a set of names (RDS, EDS). */
export interface TypeSubscription {
  wildcard: boolean;
  names: ReadonlySet<string>;
}

export type SubscriptionSet = ReadonlyMap<ResourceTypeUrl, TypeSubscription>;

/** What a stream needs to (re)subscribe: current interest and what the client already holds. */
export interface XdsStateView {
  subscriptions(): SubscriptionSet;
  /** Last accepted SotW version_info of a type ('' before the first). */
  versionInfo(typeUrl: ResourceTypeUrl): string;
  /** name → version of every resource held, for Delta's initial_resource_versions. */
  resourceVersions(typeUrl: ResourceTypeUrl): Record<string, string>;
}

/**
 * The dynamic resources the client holds, per type, and the step that turns one response into the
 * next set for its type. SotW rules (xDS protocol, "Grouping Resources into Responses"): a Listener
 * or Cluster response is the complete state, so anything absent is deleted; a RouteConfiguration or
 * ClusterLoadAssignment response may carry a subset and only replaces what it names. Delta: resources
 * are added or replaced one by one and `removed_resources` deletes.
 */
import { isDeepStrictEqual } from 'node:util';
import { CodecError, JsonObject, decodeAny } from './any-codec';
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, RESOURCE_TYPE_SHORT_NAMES, ROUTE_CONFIGURATION_TYPE_URL,
  ResourceTypeUrl, isFullStateType, typeNameFromUrl,
} from './type-urls';
import { TypeSubscription, XdsUpdate } from './xds-update';

export interface ResourceEntry {
  name: string;
  version: string;
  lastUpdated: Date;
  /** The resource as proto3 JSON (Envoy YAML shape), without "@type". */
  json: JsonObject;
}

export type EntryMap = ReadonlyMap<string, ResourceEntry>;

/** The resource kind as Envoy names it in its messages ("Listener", "Cluster", …). */
export function kindOf(typeUrl: ResourceTypeUrl): string {
  return typeNameFromUrl(typeUrl).split('.').pop() ?? typeUrl;
}

export class ResourceStore {
  private readonly entries = new Map<ResourceTypeUrl, EntryMap>();
  private readonly versions = new Map<ResourceTypeUrl, string>();

  get(typeUrl: ResourceTypeUrl): EntryMap {
    return this.entries.get(typeUrl) ?? new Map();
  }

  /** Last accepted version_info (SotW) or system_version_info (Delta). */
  versionInfo(typeUrl: ResourceTypeUrl): string {
    return this.versions.get(typeUrl) ?? '';
  }

  commit(typeUrl: ResourceTypeUrl, entries: EntryMap, versionInfo: string): void {
    this.entries.set(typeUrl, entries);
    this.versions.set(typeUrl, versionInfo);
  }

  /** Drops RDS/EDS resources no longer referenced: SotW deletes them implicitly this way. */
  prune(typeUrl: ResourceTypeUrl, keep: ReadonlySet<string>): void {
    const current = this.get(typeUrl);
    if ([...current.keys()].every((n) => keep.has(n))) return;
    this.entries.set(typeUrl, new Map([...current].filter(([n]) => keep.has(n))));
  }

  resourceVersions(typeUrl: ResourceTypeUrl): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, e] of this.get(typeUrl)) out[name] = e.version;
    return out;
  }
}

/** The name a resource is known by: Listener/Cluster/RouteConfiguration.name, ClusterLoadAssignment.cluster_name. */
export function resourceName(typeUrl: ResourceTypeUrl, json: JsonObject): string {
  const v = typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL ? json.cluster_name : json.name;
  return typeof v === 'string' ? v : '';
}

/** What a Delta removal of a subscribed RDS/EDS resource leaves behind, as Envoy treats it. */
function emptyResource(typeUrl: ResourceTypeUrl, name: string): JsonObject | undefined {
  // Envoy: a removed RouteConfiguration serves no routes; a removed CLA leaves the cluster with no hosts.
  if (typeUrl === ROUTE_CONFIGURATION_TYPE_URL) return { name };
  if (typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL) return { cluster_name: name };
  return undefined;
}

export type NextEntries = { entries: Map<string, ResourceEntry>; names: string[]; ignored: string[] } | { errors: string[] };

interface Decoded {
  name: string;
  version: string;
  json: JsonObject;
}

/**
 * Decodes a response and computes the next entry set of its type, or the reasons to NACK it: a
 * resource that does not decode, of the wrong type, unnamed, or named twice (the protocol says
 * clients should NACK responses with multiple instances of one name).
 */
export function nextEntries(update: XdsUpdate, current: EntryMap, subscription: TypeSubscription | undefined, now: Date): NextEntries {
  const decoded = decodeResources(update);
  if ('errors' in decoded) return decoded;
  const replacesAll = update.protocol === 'sotw' && isFullStateType(update.typeUrl);
  const next = new Map<string, ResourceEntry>(replacesAll ? [] : current);
  const names: string[] = [];
  const ignored: string[] = [];
  const wanted = (name: string): boolean => !subscription || subscription.wildcard || subscription.names.has(name);
  for (const d of decoded.list) {
    // RDS/EDS: a resource nobody asked for is ignored, as Envoy does ("Ignoring unwanted resource").
    if (!wanted(d.name)) {
      ignored.push(d.name);
      continue;
    }
    const old = current.get(d.name);
    // An unchanged resource keeps its version and update time, as Envoy skips unchanged clusters.
    const same = old !== undefined && isDeepStrictEqual(old.json, d.json);
    next.set(d.name, same && update.protocol === 'sotw' ? old : { name: d.name, version: d.version, lastUpdated: same ? old.lastUpdated : now, json: d.json });
    names.push(d.name);
  }
  for (const name of update.removed) {
    const empty = emptyResource(update.typeUrl, name);
    if (empty && wanted(name) && !subscription?.wildcard) next.set(name, { name, version: '', lastUpdated: now, json: empty });
    else next.delete(name);
    names.push(name);
  }
  return { entries: next, names, ignored };
}

function decodeResources(update: XdsUpdate): { list: Decoded[] } | { errors: string[] } {
  const errors: string[] = [];
  const kind = kindOf(update.typeUrl);
  const list: Decoded[] = [];
  const seen = new Set<string>();
  update.resources.forEach((raw, i) => {
    if (!raw.any) return; // Delta heartbeat: same resource, nothing to change.
    const at = `resources[${i}]`;
    if (raw.any.type_url !== update.typeUrl) {
      errors.push(`${at}: type URL "${raw.any.type_url}" in a ${RESOURCE_TYPE_SHORT_NAMES[update.typeUrl]} response (expected "${update.typeUrl}")`);
      return;
    }
    let json: JsonObject;
    try {
      const { '@type': _type, ...rest } = decodeAny(raw.any);
      json = rest;
    } catch (err) {
      errors.push(`${at}: cannot decode ${kind}: ${(err as CodecError).message}`);
      return;
    }
    const name = resourceName(update.typeUrl, json);
    if (!name) {
      errors.push(`${at}: ${kind} ${update.typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL ? 'cluster_name' : 'name'}: is required`);
      return;
    }
    if (raw.name !== undefined && raw.name !== '' && raw.name !== name) errors.push(`${at}: Resource.name "${raw.name}" does not match the ${kind} name "${name}"`);
    if (seen.has(name)) errors.push(`${at}: duplicate ${kind} name "${name}" in one response`);
    seen.add(name);
    list.push({ name, version: update.protocol === 'delta' ? raw.version ?? '' : update.versionInfo, json });
  });
  return errors.length > 0 ? { errors } : { list };
}

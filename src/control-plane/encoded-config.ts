/**
 * A configuration as it is served: every resource encoded once into the google.protobuf.Any that
 * goes into DiscoveryResponse.resources, with a content hash that is its Delta xDS resource version.
 * The hash depends only on the bytes, so it is the same after a control-plane restart and a
 * reconnecting Delta client's initial_resource_versions let us skip everything it already has.
 */
import { createHash } from 'node:crypto';
import { CodecError, encodeAny } from '../xds/any-codec';
import { Problem } from '../config/problems';
import { KIND_TYPE_URL, RESOURCE_KINDS, ResourceKind, ResourceLists, resourceName } from './resource-kinds';

export interface EncodedResource {
  name: string;
  any: { type_url: string; value: Buffer };
  /** Delta xDS Resource.version. */
  hash: string;
}

/** Per kind, resources by name in document order. */
export type EncodedConfig = Readonly<Record<ResourceKind, ReadonlyMap<string, EncodedResource>>>;

export interface EncodeResult {
  encoded?: EncodedConfig;
  problems: Problem[];
}

/**
 * Encodes every resource with its kind's type URL. A failure means the resource does not fit
 * Envoy's proto (unknown field, wrong type, bad duration…), reported as `clusters[2].lb_policy: …`.
 */
export function encodeLists(lists: ResourceLists): EncodeResult {
  const problems: Problem[] = [];
  const out = {} as Record<ResourceKind, Map<string, EncodedResource>>;
  for (const kind of RESOURCE_KINDS) {
    const map = new Map<string, EncodedResource>();
    lists[kind].forEach((r, i) => {
      try {
        const any = encodeAny(r, KIND_TYPE_URL[kind]);
        const name = resourceName(kind, r) as string;
        map.set(name, { name, any, hash: hashBytes(any.value) });
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        problems.push({ path: err.path ? `${kind}[${i}].${err.path}` : `${kind}[${i}]`, message: err.reason });
      }
    });
    out[kind] = map;
  }
  return problems.length > 0 ? { problems } : { encoded: out, problems };
}

export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
}

/** Kinds whose set of (name, content) differs between two configurations. */
export function changedKinds(before: EncodedConfig | undefined, after: EncodedConfig): ResourceKind[] {
  return RESOURCE_KINDS.filter((kind) => !sameResources(before?.[kind], after[kind]));
}

function sameResources(a: ReadonlyMap<string, EncodedResource> | undefined, b: ReadonlyMap<string, EncodedResource>): boolean {
  if (!a) return b.size === 0;
  if (a.size !== b.size) return false;
  for (const [name, r] of b) if (a.get(name)?.hash !== r.hash) return false;
  return true;
}

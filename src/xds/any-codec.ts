/**
 * The Any codec: xDS resources travel as google.protobuf.Any; the config model reads them in the
 * proto3 JSON shape an Envoy YAML file has (snake_case keys, "@type" on every Any, durations as
 * "1.5s", enums by name, wrappers as bare values, int64 as strings, unset fields absent).
 *
 * decodeAny: gateway side (DiscoveryResponse resources → config model input).
 * encodeAny: control-plane side (YAML pushed by an operator → DiscoveryResponse resources).
 * Errors are CodecError, `path: reason`, e.g.
 * `virtual_hosts[0].routes[1].match.prefix: expected string, got number 3`.
 */
import { findType, lookupType } from './protos';
import { CodecError } from './scalars';
import { DecodeOptions, EncodeOptions, anyFromJson, anyToJson, encodePlain, messageFromJson, messageToJson } from './proto-json';
import { typeNameFromUrl } from './type-urls';

export { CodecError } from './scalars';
export type { DecodeOptions, EncodeOptions } from './proto-json';

/** An Any as grpc-js hands it over (proto-loader keeps bytes as Buffer). */
export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

export type JsonObject = Record<string, unknown>;

/**
 * Any → proto3 JSON with "@type" first. Throws CodecError if the type URL is not in our proto set
 * or the bytes do not decode. Unknown fields inside the bytes are skipped, as protobuf does.
 */
export function decodeAny(any: AnyMessage, opts: DecodeOptions = {}): JsonObject {
  if (!any || typeof any.type_url !== 'string' || any.type_url === '') {
    throw new CodecError('', 'Any has no type_url');
  }
  if (!findType(typeNameFromUrl(any.type_url))) {
    throw new CodecError('', `unknown type URL "${any.type_url}" (not in shadowgate's proto set)`);
  }
  return anyToJson({ type_url: any.type_url, value: any.value }, '', opts, true);
}

/**
 * proto3 JSON (snake_case or lowerCamelCase keys) → Any. The type comes from json["@type"], or
 * from `typeUrl` when the object has none (a Cluster parsed from YAML); if both are given they
 * must agree. Unknown keys fail unless opts.ignoreUnknownFields.
 */
export function encodeAny(json: JsonObject, typeUrl?: string, opts: EncodeOptions = {}): { type_url: string; value: Buffer } {
  const declared = json?.['@type'];
  if (typeUrl !== undefined && declared !== undefined && declared !== typeUrl) {
    throw new CodecError('@type', `is "${String(declared)}" but a ${typeUrl} was expected`);
  }
  const withType = declared === undefined && typeUrl !== undefined ? { '@type': typeUrl, ...json } : json;
  const any = anyFromJson(withType, '', opts);
  return { type_url: any.type_url, value: Buffer.from(any.value) };
}

/** Bytes of a message named by its full name ("envoy.config.core.v3.Node") → proto3 JSON. */
export function decodeMessage(fullName: string, bytes: Uint8Array, opts: DecodeOptions = {}): JsonObject {
  const type = lookupType(fullName);
  let msg: JsonObject;
  try {
    msg = type.decode(bytes) as unknown as JsonObject;
  } catch (err) {
    throw new CodecError('', `cannot decode ${fullName}: ${(err as Error).message}`);
  }
  return messageToJson(type, msg, '', opts) as JsonObject;
}

/** proto3 JSON → bytes of the message named by its full name. */
export function encodeMessage(fullName: string, json: unknown, opts: EncodeOptions = {}): Buffer {
  const type = lookupType(fullName);
  return Buffer.from(encodePlain(type, messageFromJson(type, json, '', opts), ''));
}

/**
 * An object as grpc-js delivers it (proto-loader form: Struct as {fields: {k: {string_value}}},
 * enums and longs as strings) → proto3 JSON. Handy for DiscoveryRequest.node.
 */
export function grpcObjectToJson(fullName: string, obj: unknown, opts: DecodeOptions = {}): JsonObject {
  const type = lookupType(fullName);
  return decodeMessage(fullName, type.encode(type.fromObject(obj as JsonObject)).finish(), opts);
}

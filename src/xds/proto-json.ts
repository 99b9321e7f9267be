/**
 * protobuf message ⇄ proto3 JSON, walking protobufjs reflection, with snake_case keys as in Envoy
 * YAML. protobufjs's own toObject/fromObject are not proto3 JSON (no Duration strings, no "@type"
 * on nested Anys, lenient about bad input), hence this walker.
 */
import * as protobuf from 'protobufjs';
import { findType } from './protos';
import { CodecError, describe, isDefaultScalar, joinPath, scalarFromJson, scalarToJson } from './scalars';
import { typeNameFromUrl } from './type-urls';
import { hasSpecialJson, isWellKnown, typeName, wellKnownFromJson, wellKnownToJson } from './well-known';

type Msg = Record<string, unknown>;

const ANY = 'google.protobuf.Any';
const VALUE = 'google.protobuf.Value';

export interface DecodeOptions {
  /**
   * A nested Any whose type is not in our proto set (e.g. a filter shadowgate does not
   * implement): 'opaque' (default) keeps it as `{"@type": url, "value": "<base64>"}` so the
   * config layer can apply Envoy's rule (reject unless the filter is_optional); 'error' throws.
   */
  unknownNestedAny?: 'opaque' | 'error';
}

export interface EncodeOptions {
  /** Drop JSON keys that are not fields of the message instead of failing. Default false. */
  ignoreUnknownFields?: boolean;
}

// ---------------------------------------------------------------- decode: message → JSON

export function messageToJson(type: protobuf.Type, msg: Msg, path: string, opts: DecodeOptions): unknown {
  const name = typeName(type);
  if (name === ANY) return anyToJson(msg, path, opts, false);
  if (isWellKnown(name)) return wellKnownToJson(name, msg, path);
  const out: Msg = {};
  for (const field of type.fieldsArray) {
    if (!isSet(msg, field)) continue;
    const value = msg[field.name];
    const fieldPath = joinPath(path, field.name);
    if (field.map) {
      const obj: Msg = {};
      for (const [k, v] of Object.entries(value as Msg)) obj[k] = valueToJson(field, v, joinPath(fieldPath, k), opts);
      out[field.name] = obj;
    } else if (field.repeated) {
      out[field.name] = (value as unknown[]).map((v, i) => valueToJson(field, v, joinPath(fieldPath, i), opts));
    } else {
      out[field.name] = valueToJson(field, value, fieldPath, opts);
    }
  }
  return out;
}

/** proto3 presence: oneof members and messages when present, other scalars when not default. */
function isSet(msg: Msg, field: protobuf.Field): boolean {
  const v = msg[field.name];
  if (field.map) return v != null && Object.keys(v as Msg).length > 0;
  if (field.repeated) return Array.isArray(v) && v.length > 0;
  if (field.partOf) return Object.prototype.hasOwnProperty.call(msg, field.name) && v != null;
  if (field.resolvedType instanceof protobuf.Type) return v != null;
  return v != null && !isDefaultScalar(v);
}

function valueToJson(field: protobuf.Field, v: unknown, path: string, opts: DecodeOptions): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return messageToJson(rt, v as Msg, path, opts);
  if (rt instanceof protobuf.Enum) return rt.valuesById[v as number] ?? v;
  return scalarToJson(field.type, v);
}

/** Any → {"@type": url, ...fields} or, for special-JSON types, {"@type": url, "value": json}. */
export function anyToJson(any: Msg, path: string, opts: DecodeOptions, topLevel: boolean): Msg {
  const typeUrl = typeof any.type_url === 'string' ? any.type_url : '';
  const bytes = (any.value as Uint8Array | undefined) ?? new Uint8Array(0);
  if (!typeUrl) return {};
  const type = findType(typeNameFromUrl(typeUrl));
  if (!type) {
    if (topLevel || opts.unknownNestedAny === 'error') {
      throw new CodecError(path, `unknown type URL "${typeUrl}" (not in shadowgate's proto set)`);
    }
    return { '@type': typeUrl, value: Buffer.from(bytes).toString('base64') };
  }
  let inner: Msg;
  try {
    inner = type.decode(bytes) as unknown as Msg;
  } catch (err) {
    throw new CodecError(path, `cannot decode ${typeUrl}: ${(err as Error).message}`);
  }
  const json = messageToJson(type, inner, path, opts);
  if (hasSpecialJson(typeName(type))) return { '@type': typeUrl, value: json };
  return { '@type': typeUrl, ...(json as Msg) };
}

// ---------------------------------------------------------------- encode: JSON → message

/** JSON (snake_case or lowerCamelCase keys) → plain object for `type.fromObject`. */
export function messageFromJson(type: protobuf.Type, json: unknown, path: string, opts: EncodeOptions): Msg {
  const name = typeName(type);
  if (name === ANY) return anyFromJson(json, path, opts);
  if (isWellKnown(name)) return wellKnownFromJson(name, json, path);
  if (!isObject(json)) throw new CodecError(path, `expected an object, got ${describe(json)}`);
  const fields = fieldIndex(type);
  const out: Msg = {};
  const seen = new Map<string, string>();
  const oneofSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const fieldPath = joinPath(path, key);
    const field = fields.get(key);
    if (!field) {
      if (opts.ignoreUnknownFields) continue;
      throw new CodecError(fieldPath, `unknown field for ${name}`);
    }
    const earlier = seen.get(field.name);
    if (earlier !== undefined) throw new CodecError(fieldPath, `field given twice (also as "${earlier}")`);
    seen.set(field.name, key);
    const isNullValue = value === null && !field.repeated && !field.map && field.resolvedType instanceof protobuf.Type && typeName(field.resolvedType) === VALUE;
    if (value === null && !isNullValue) continue; // proto3 JSON: null means "not set"
    const oneof = field.partOf;
    if (oneof) {
      const other = oneofSeen.get(oneof.name);
      if (other !== undefined) throw new CodecError(path, `only one of ${other}, ${field.name} may be set`);
      oneofSeen.set(oneof.name, field.name);
    }
    out[field.name] = fieldFromJson(field, value, joinPath(path, field.name), opts);
  }
  return out;
}

function fieldFromJson(field: protobuf.Field, value: unknown, path: string, opts: EncodeOptions): unknown {
  if (field.map) {
    if (!isObject(value)) throw new CodecError(path, `expected an object (map), got ${describe(value)}`);
    const out: Msg = {};
    for (const [k, v] of Object.entries(value)) out[k] = elementFromJson(field, v, joinPath(path, k), opts);
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new CodecError(path, `expected a list, got ${describe(value)}`);
    return value.map((v, i) => elementFromJson(field, v, joinPath(path, i), opts));
  }
  return elementFromJson(field, value, path, opts);
}

function elementFromJson(field: protobuf.Field, v: unknown, path: string, opts: EncodeOptions): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    if (v === null && typeName(rt) !== VALUE) throw new CodecError(path, 'null is not allowed here');
    return messageFromJson(rt, v, path, opts);
  }
  if (v === null) throw new CodecError(path, 'null is not allowed here');
  if (rt instanceof protobuf.Enum) return enumFromJson(rt, v, path);
  return scalarFromJson(field.type, v, path);
}

function enumFromJson(e: protobuf.Enum, v: unknown, path: string): number {
  if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(e.values, v)) return e.values[v];
  if (typeof v === 'number' && Number.isInteger(v) && e.valuesById[v] !== undefined) return v;
  const names = Object.keys(e.values).join(', ');
  throw new CodecError(path, `expected one of ${names}, got ${describe(v)}`);
}

/** An Any from JSON: `@type` selects the message; the other keys are its fields. */
export function anyFromJson(json: unknown, path: string, opts: EncodeOptions): { type_url: string; value: Uint8Array } {
  if (!isObject(json)) throw new CodecError(path, `expected an object with "@type", got ${describe(json)}`);
  const typeUrl = json['@type'];
  if (typeof typeUrl !== 'string' || typeUrl === '') throw new CodecError(joinPath(path, '@type'), 'is required');
  const type = findType(typeNameFromUrl(typeUrl));
  const { '@type': _typeUrl, ...rest } = json;
  if (!type) {
    // The opaque form decodeAny produces for types we do not know round-trips unchanged.
    const keys = Object.keys(rest);
    if (keys.length === 1 && keys[0] === 'value' && typeof rest.value === 'string') {
      return { type_url: typeUrl, value: scalarFromJson('bytes', rest.value, joinPath(path, 'value')) as Uint8Array };
    }
    throw new CodecError(joinPath(path, '@type'), `unknown type URL "${typeUrl}" (not in shadowgate's proto set)`);
  }
  let plain: Msg;
  if (hasSpecialJson(typeName(type))) {
    const extra = Object.keys(rest).filter((k) => k !== 'value');
    if (extra.length > 0) throw new CodecError(joinPath(path, extra[0]), `unknown field for ${typeName(type)} (its JSON form is {"@type", "value"})`);
    plain = messageFromJson(type, rest.value, joinPath(path, 'value'), opts);
  } else {
    plain = messageFromJson(type, rest, path, opts);
  }
  return { type_url: typeUrl, value: encodePlain(type, plain, path) };
}

/** Encodes a plain object already checked by messageFromJson. */
export function encodePlain(type: protobuf.Type, plain: Msg, path: string): Uint8Array {
  try {
    return type.encode(type.fromObject(plain)).finish();
  } catch (err) {
    throw new CodecError(path, `cannot encode ${typeName(type)}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- helpers

const indexCache = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** Fields by their proto name and by their lowerCamelCase JSON name. */
function fieldIndex(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = indexCache.get(type);
  if (!index) {
    index = new Map();
    for (const field of type.fieldsArray) {
      field.resolve();
      index.set(field.name, field);
      index.set(field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), field);
    }
    indexCache.set(type, index);
  }
  return index;
}

function isObject(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

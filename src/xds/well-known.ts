/**
 * proto3 JSON forms of the well-known types that are not "an object of their fields"
 * (https://protobuf.dev/programming-guides/json/): Duration "1.5s", Timestamp RFC 3339,
 * wrappers as bare values, Struct/Value/ListValue as plain JSON, Empty as {}.
 *
 * Decode side: protobufjs message (int64 as Long or number) → JSON value.
 * Encode side: JSON value → plain object that protobufjs `Type.fromObject` accepts.
 * Both throw CodecError with the field path.
 */
import * as protobuf from 'protobufjs';
import { lookupType } from './protos';
import { CodecError, describe, scalarFromJson, scalarToJson, toBigInt } from './scalars';

type Msg = Record<string, unknown>;

/** Field type of the single `value` field of each wrapper message. */
const WRAPPERS: Readonly<Record<string, string>> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

const SPECIAL = new Set([
  ...Object.keys(WRAPPERS),
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
]);

/** Full name without protobufjs's leading dot. */
export function typeName(type: protobuf.Type): string {
  return type.fullName.replace(/^\./, '');
}

/**
 * True when the type's JSON form is not an object of fields; inside an Any such a value is
 * written as `{"@type": ..., "value": <json>}` rather than merged into the object.
 */
export function hasSpecialJson(name: string): boolean {
  return SPECIAL.has(name);
}

export function isWellKnown(name: string): boolean {
  return SPECIAL.has(name) || name === 'google.protobuf.Empty';
}

// Durations and timestamps are limited to ±10000 years by the protobuf spec.
const MAX_DURATION_SECONDS = 315_576_000_000n;

export function wellKnownToJson(name: string, msg: Msg, path: string): unknown {
  const wrapped = WRAPPERS[name];
  if (wrapped) return scalarToJson(wrapped, msg.value ?? defaultOf(wrapped));
  switch (name) {
    case 'google.protobuf.Duration':
      return durationToJson(toBigInt(msg.seconds ?? 0), Number(msg.nanos ?? 0));
    case 'google.protobuf.Timestamp':
      return timestampToJson(toBigInt(msg.seconds ?? 0), Number(msg.nanos ?? 0), path);
    case 'google.protobuf.Struct':
      return structToJson(msg);
    case 'google.protobuf.Value':
      return valueToJson(msg);
    case 'google.protobuf.ListValue':
      return ((msg.values as Msg[] | undefined) ?? []).map(valueToJson);
    case 'google.protobuf.Empty':
      return {};
    default:
      throw new CodecError(path, `${name} is not a well-known type`);
  }
}

export function wellKnownFromJson(name: string, json: unknown, path: string): Msg {
  const wrapped = WRAPPERS[name];
  if (wrapped) return { value: scalarFromJson(wrapped, json, path) };
  switch (name) {
    case 'google.protobuf.Duration':
      return durationFromJson(json, path);
    case 'google.protobuf.Timestamp':
      return timestampFromJson(json, path);
    case 'google.protobuf.Struct':
      return structFromJson(json, path);
    case 'google.protobuf.Value':
      return valueFromJson(json, path);
    case 'google.protobuf.ListValue':
      return listFromJson(json, path);
    case 'google.protobuf.Empty':
      if (!isPlainObject(json) || Object.keys(json).length > 0) {
        throw new CodecError(path, `expected an empty object {}, got ${describe(json)}`);
      }
      return {};
    default:
      throw new CodecError(path, `${name} is not a well-known type`);
  }
}

function defaultOf(scalarType: string): unknown {
  if (scalarType === 'bool') return false;
  if (scalarType === 'string') return '';
  if (scalarType === 'bytes') return new Uint8Array(0);
  return 0;
}

/** 0, 3, 6 or 9 fractional digits, as the canonical proto3 JSON encoders write them. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`;
  if (nanos % 1_000 === 0) return `.${String(nanos / 1_000).padStart(6, '0')}`;
  return `.${String(nanos).padStart(9, '0')}`;
}

function durationToJson(seconds: bigint, nanos: number): string {
  const negative = seconds < 0n || nanos < 0;
  const abs = seconds < 0n ? -seconds : seconds;
  return `${negative ? '-' : ''}${abs}${fraction(Math.abs(nanos))}s`;
}

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

function durationFromJson(json: unknown, path: string): Msg {
  const m = typeof json === 'string' ? DURATION_RE.exec(json) : null;
  if (!m) {
    throw new CodecError(path, `expected a duration string such as "1.5s" or "15s", got ${describe(json)}`);
  }
  const sign = m[1] ? -1 : 1;
  const seconds = BigInt(m[2]);
  if (seconds > MAX_DURATION_SECONDS) throw new CodecError(path, `duration ${json} is out of range`);
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  return { seconds: String(BigInt(sign) * seconds), nanos: sign * nanos };
}

function timestampToJson(seconds: bigint, nanos: number, path: string): string {
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) {
    throw new CodecError(path, `timestamp ${seconds}s is out of range`);
  }
  return date.toISOString().replace(/\.\d{3}Z$/, `${fraction(nanos)}Z`);
}

const TIMESTAMP_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

function timestampFromJson(json: unknown, path: string): Msg {
  const m = typeof json === 'string' ? TIMESTAMP_RE.exec(json) : null;
  const ms = m ? Date.parse(`${m[1]}${m[3].toUpperCase()}`) : NaN;
  if (!m || Number.isNaN(ms)) {
    throw new CodecError(path, `expected an RFC 3339 timestamp such as "2024-01-31T12:00:00Z", got ${describe(json)}`);
  }
  return { seconds: String(ms / 1000), nanos: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
}

function structToJson(msg: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (msg.fields as Record<string, Msg> | undefined) ?? {};
  for (const [key, value] of Object.entries(fields)) out[key] = valueToJson(value);
  return out;
}

interface ValueFieldNames {
  nul: string;
  num: string;
  str: string;
  bool: string;
  struct: string;
  list: string;
}

let valueNames: ValueFieldNames | undefined;

/**
 * protobufjs serves its bundled google.protobuf.Value with camelCase field names (numberValue…)
 * whatever keepCase says, so the names are taken from the loaded type by field number.
 */
function valueFields(): ValueFieldNames {
  if (!valueNames) {
    const byId = lookupType('google.protobuf.Value').fieldsById;
    valueNames = { nul: byId[1].name, num: byId[2].name, str: byId[3].name, bool: byId[4].name, struct: byId[5].name, list: byId[6].name };
  }
  return valueNames;
}

/** Value is a oneof `kind`; the member that is set is an own property of the decoded message. */
function valueToJson(msg: Msg): unknown {
  const f = valueFields();
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(msg, k) && msg[k] != null;
  if (has(f.num)) return msg[f.num];
  if (has(f.str)) return msg[f.str];
  if (has(f.bool)) return msg[f.bool];
  if (has(f.struct)) return structToJson(msg[f.struct] as Msg);
  if (has(f.list)) return (((msg[f.list] as Msg).values as Msg[] | undefined) ?? []).map(valueToJson);
  return null;
}

function structFromJson(json: unknown, path: string): Msg {
  if (!isPlainObject(json)) throw new CodecError(path, `expected an object, got ${describe(json)}`);
  const fields: Record<string, Msg> = {};
  for (const [key, value] of Object.entries(json)) fields[key] = valueFromJson(value, `${path}.${key}`);
  return { fields };
}

function listFromJson(json: unknown, path: string): Msg {
  if (!Array.isArray(json)) throw new CodecError(path, `expected a list, got ${describe(json)}`);
  return { values: json.map((v, i) => valueFromJson(v, `${path}[${i}]`)) };
}

function valueFromJson(json: unknown, path: string): Msg {
  const f = valueFields();
  if (json === null) return { [f.nul]: 0 };
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) throw new CodecError(path, 'a Struct number must be finite');
    return { [f.num]: json };
  }
  if (typeof json === 'string') return { [f.str]: json };
  if (typeof json === 'boolean') return { [f.bool]: json };
  if (Array.isArray(json)) return { [f.list]: listFromJson(json, path) };
  if (isPlainObject(json)) return { [f.struct]: structFromJson(json, path) };
  throw new CodecError(path, `cannot represent ${describe(json)} in a google.protobuf.Value`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

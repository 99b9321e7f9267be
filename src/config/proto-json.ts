/**
 * Readers for Envoy resources in proto3 JSON shape (what an Envoy YAML file holds, and what the xDS
 * codec produces from protobuf bytes). Each reader reports into a Problems list and returns
 * `undefined` on a bad value, so a validator can keep going and report everything at once.
 *
 * proto3 JSON allows lowerCamelCase and the original snake_case names; we normalise to snake_case.
 */
import { Problems, joinPath } from './problems';

export type JsonObject = Record<string, unknown>;

/** What a message may contain: fields we implement, and Envoy fields we know but do not implement. */
export interface MessageShape {
  supported: readonly string[];
  unsupported?: readonly string[];
}

const CAMEL_KEY = /^[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*$/;

export function snakeCase(key: string): string {
  return CAMEL_KEY.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks that `value` is an object of the given shape and returns it with snake_case keys.
 * Envoy rejects unknown fields in static config; we also reject fields we know but do not implement,
 * so nothing is ever silently ignored.
 */
export function readMessage(value: unknown, path: string, p: Problems, shape: MessageShape): JsonObject | undefined {
  if (!isObject(value)) {
    p.add(path, `expected an object, got ${describe(value)}`);
    return undefined;
  }
  const out: JsonObject = {};
  for (const [rawKey, v] of Object.entries(value)) {
    const key = snakeCase(rawKey);
    if (shape.supported.includes(key)) out[key] = v;
    else if (shape.unsupported?.includes(key)) p.add(joinPath(path, key), 'field is not supported by shadowgate yet');
    else p.add(joinPath(path, key), 'unknown field');
  }
  return out;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return typeof v;
}

export function readString(v: unknown, path: string, p: Problems): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    p.add(path, `expected a string, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

export function requireString(v: unknown, path: string, p: Problems): string | undefined {
  if (v === undefined || v === '') {
    p.add(path, 'is required');
    return undefined;
  }
  return readString(v, path, p);
}

export function readBool(v: unknown, path: string, p: Problems): boolean | undefined {
  if (v === undefined) return undefined;
  // Wrapper types (BoolValue) may arrive as {value: x} from hand-written JSON.
  if (isObject(v) && 'value' in v) return readBool(v.value, path, p);
  if (typeof v !== 'boolean') {
    p.add(path, `expected true or false, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

/** Unsigned integer (uint32/uint64; proto3 JSON writes 64-bit integers as strings). */
export function readUint(v: unknown, path: string, p: Problems, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (isObject(v) && 'value' in v) return readUint(v.value, path, p, max);
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    p.add(path, `expected a non-negative integer, got ${describe(v)}`);
    return undefined;
  }
  if (n > max) {
    p.add(path, `must be at most ${max}, got ${n}`);
    return undefined;
  }
  return n;
}

export function readInt(v: unknown, path: string, p: Problems): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    p.add(path, `expected an integer, got ${describe(v)}`);
    return undefined;
  }
  return n;
}

const DURATION = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/;

/** google.protobuf.Duration: "1.5s" in JSON, {seconds, nanos} from some encoders. Returns milliseconds. */
export function readDurationMs(v: unknown, path: string, p: Problems): number | undefined {
  if (v === undefined) return undefined;
  if (isObject(v) && ('seconds' in v || 'nanos' in v)) {
    const seconds = Number(v.seconds ?? 0);
    const nanos = Number(v.nanos ?? 0);
    if (Number.isFinite(seconds) && Number.isFinite(nanos) && seconds >= 0 && nanos >= 0) return seconds * 1000 + nanos / 1e6;
  }
  if (typeof v === 'string') {
    const m = DURATION.exec(v);
    if (m && m[1] === '') return Number(m[2]) * 1000 + Number(`0.${m[3] ?? '0'}`) * 1000;
    if (m) {
      p.add(path, `duration must not be negative, got "${v}"`);
      return undefined;
    }
  }
  p.add(path, `expected a duration such as "1.5s", got ${describe(v)}`);
  return undefined;
}

export function readList(v: unknown, path: string, p: Problems): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    p.add(path, `expected a list, got ${describe(v)}`);
    return [];
  }
  return v;
}

export function readStringList(v: unknown, path: string, p: Problems): string[] {
  const out: string[] = [];
  readList(v, path, p).forEach((item, i) => {
    const s = readString(item, joinPath(path, i), p);
    if (s !== undefined) out.push(s);
  });
  return out;
}

/** Enums arrive as names (JSON/YAML) or numbers (some encoders); `names[i]` is the value of number i. */
export function readEnum<T extends string>(v: unknown, path: string, p: Problems, names: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && names[v] !== undefined && names[v] !== '') return names[v];
  if (typeof v === 'string' && (names as readonly string[]).includes(v) && v !== '') return v as T;
  p.add(path, `expected one of ${names.filter(Boolean).join(', ')}, got ${describe(v)}`);
  return fallback;
}

/** A typed_config Any: checks `@type` against the accepted type URLs and returns the body. */
export function readTypedConfig(v: unknown, path: string, p: Problems, accepted: readonly string[]): { type: string; body: JsonObject } | undefined {
  if (!isObject(v)) {
    p.add(path, `expected an object with "@type", got ${describe(v)}`);
    return undefined;
  }
  const type = v['@type'];
  if (typeof type !== 'string') {
    p.add(joinPath(path, '@type'), 'is required');
    return undefined;
  }
  if (!accepted.includes(type)) {
    p.add(joinPath(path, '@type'), `expected ${accepted.join(' or ')}, got "${type}"`);
    return undefined;
  }
  const { '@type': _ignored, ...body } = v;
  return { type, body };
}

/** Exactly-one-of check for a proto oneof; returns the key that is set. */
export function readOneOf(obj: JsonObject, keys: readonly string[], path: string, p: Problems, required: boolean): string | undefined {
  const set = keys.filter((k) => obj[k] !== undefined);
  if (set.length > 1) {
    p.add(path, `only one of ${set.join(', ')} may be set`);
    return undefined;
  }
  if (set.length === 0 && required) {
    p.add(path, `one of ${keys.join(', ')} is required`);
    return undefined;
  }
  return set[0];
}

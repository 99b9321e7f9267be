/**
 * proto3 JSON for scalar fields, and the codec's error type.
 * https://protobuf.dev/programming-guides/json/: 64-bit integers are strings, bytes are base64,
 * NaN/Infinity are strings; parsers accept numbers or strings for every integer type.
 */
/** A codec failure at a field path, formatted `path: reason` like config validation problems. */
export class CodecError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(path ? `${path}: ${reason}` : reason);
    this.name = 'CodecError';
    this.path = path;
    this.reason = reason;
  }
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);

export function isLongType(type: string): boolean {
  return LONG_TYPES.has(type);
}

/** protobufjs decodes int64 as a `long` Long when that package is present, else as a number. */
interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
}

function isLong(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';
}

export function toBigInt(v: unknown): bigint {
  if (isLong(v)) return BigInt(v.toString());
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') return BigInt(v);
  return BigInt(Math.trunc(Number(v)));
}

/** proto3 leaves fields at their default value off the wire and out of JSON. */
export function isDefaultScalar(v: unknown): boolean {
  if (v === 0 || v === '' || v === false) return true;
  if (isLong(v)) return v.low === 0 && v.high === 0;
  // An unset bytes field reads protobufjs's prototype default, a frozen empty Array.
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length === 0;
  return false;
}

export function scalarToJson(type: string, v: unknown): unknown {
  if (LONG_TYPES.has(type)) return toBigInt(v).toString();
  if (type === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
  if (type === 'double' || type === 'float') {
    const n = Number(v);
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return type === 'float' ? shortestFloat32(n) : n;
  }
  return v;
}

/** protobufjs widens float32 to a double (0.1 → 0.10000000149011612); print the shortest form. */
function shortestFloat32(n: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(n.toPrecision(digits));
    if (Math.fround(candidate) === n) return candidate;
  }
  return n;
}

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * JSON → the value protobufjs `fromObject` expects: numbers for 32-bit integers, decimal strings
 * for 64-bit ones (fromObject turns them into Long without losing precision), Buffers for bytes.
 */
export function scalarFromJson(type: string, v: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw new CodecError(path, `expected string, got ${describe(v)}`);
      return v;
    case 'bool':
      // YAML authors quote booleans ("true"); protobuf's JSON parser accepts those too.
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new CodecError(path, `expected true or false, got ${describe(v)}`);
    case 'bytes':
      if (typeof v !== 'string' || !BASE64_RE.test(v)) {
        throw new CodecError(path, `expected base64-encoded bytes, got ${describe(v)}`);
      }
      return Buffer.from(v, 'base64');
    case 'double':
    case 'float':
      return floatFromJson(type, v, path);
    default:
      if (type in INT_RANGES) return integerFromJson(type, v, path);
      throw new CodecError(path, `unsupported scalar type ${type}`);
  }
}

function floatFromJson(type: string, v: unknown, path: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v === 'NaN') n = NaN;
  else if (v === 'Infinity') n = Infinity;
  else if (v === '-Infinity') n = -Infinity;
  else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) n = Number(v);
  else throw new CodecError(path, `expected a number, got ${describe(v)}`);
  if (type === 'float' && Number.isFinite(n) && Math.abs(n) > FLOAT32_MAX) {
    throw new CodecError(path, `${n} does not fit in a 32-bit float`);
  }
  return n;
}

function integerFromJson(type: string, v: unknown, path: string): number | string {
  let big: bigint;
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (!Number.isSafeInteger(v) && LONG_TYPES.has(type)) {
      throw new CodecError(path, `${v} loses precision as a JSON number; write it as a string`);
    }
    big = BigInt(v);
  } else if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    big = BigInt(v);
  } else {
    const kind = UNSIGNED.has(type) ? 'a non-negative integer' : 'an integer';
    throw new CodecError(path, `expected ${kind}, got ${describe(v)}`);
  }
  const [min, max] = INT_RANGES[type];
  if (big < min || big > max) throw new CodecError(path, `${big} is out of range for ${type}`);
  return LONG_TYPES.has(type) ? big.toString() : Number(big);
}

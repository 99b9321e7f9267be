/** Validation of Envoy's matcher messages: StringMatcher, HeaderMatcher, QueryParameterMatcher, fractions. */
import { FractionModel, HeaderMatcherModel, QueryParameterMatcherModel, StringMatcherModel } from './model';
import { Problems, joinPath } from './problems';
import { isObject, readBool, readEnum, readInt, readMessage, readOneOf, readString, readUint } from './proto-json';
import { readRegexMatcher } from './regex';

const STRING_MATCH_KINDS = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'] as const;

export function readStringMatcher(v: unknown, path: string, p: Problems): StringMatcherModel | undefined {
  const m = readMessage(v, path, p, { supported: [...STRING_MATCH_KINDS, 'ignore_case'], unsupported: ['custom'] });
  if (!m) return undefined;
  const kind = readOneOf(m, STRING_MATCH_KINDS, path, p, true) as StringMatcherModel['kind'] | undefined;
  const ignoreCase = readBool(m.ignore_case, joinPath(path, 'ignore_case'), p) ?? false;
  if (!kind) return undefined;
  if (kind === 'safe_regex') {
    const pattern = readRegexMatcher(m.safe_regex, joinPath(path, 'safe_regex'), p);
    // Envoy: ignore_case has no effect on safe_regex (use (?i) in the pattern).
    return pattern === undefined ? undefined : { kind, value: pattern, ignoreCase: false };
  }
  const value = readString(m[kind], joinPath(path, kind), p);
  if (value === undefined) return undefined;
  if (value === '' && kind !== 'exact') p.add(joinPath(path, kind), 'must not be empty');
  return { kind, value, ignoreCase };
}

const HEADER_SPECS = ['string_match', 'present_match', 'range_match', 'exact_match', 'prefix_match', 'suffix_match', 'contains_match', 'safe_regex_match'] as const;

export function readHeaderMatcher(v: unknown, path: string, p: Problems): HeaderMatcherModel | undefined {
  const m = readMessage(v, path, p, { supported: ['name', ...HEADER_SPECS, 'invert_match', 'treat_missing_header_as_empty'] });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p);
  if (!name) {
    if (name === '' || m.name === undefined) p.add(joinPath(path, 'name'), 'is required');
    return undefined;
  }
  const invert = readBool(m.invert_match, joinPath(path, 'invert_match'), p) ?? false;
  const treatMissingAsEmpty = readBool(m.treat_missing_header_as_empty, joinPath(path, 'treat_missing_header_as_empty'), p) ?? false;
  const which = readOneOf(m, HEADER_SPECS, path, p, false);
  const base = { name: name.toLowerCase(), invert, treatMissingAsEmpty };
  const sub = which ? joinPath(path, which) : path;
  switch (which) {
    case undefined:
      // No specifier: Envoy matches on presence.
      return { ...base, spec: { kind: 'present', present: true } };
    case 'present_match': {
      const present = readBool(m.present_match, sub, p);
      return present === undefined ? undefined : { ...base, spec: { kind: 'present', present } };
    }
    case 'range_match': {
      const r = readMessage(m.range_match, sub, p, { supported: ['start', 'end'] });
      const start = readInt(r?.start ?? 0, joinPath(sub, 'start'), p);
      const end = readInt(r?.end ?? 0, joinPath(sub, 'end'), p);
      if (start === undefined || end === undefined) return undefined;
      if (end <= start) p.add(sub, `end (${end}) must be greater than start (${start})`);
      return { ...base, spec: { kind: 'range', start, end } };
    }
    case 'string_match': {
      const matcher = readStringMatcher(m.string_match, sub, p);
      return matcher && { ...base, spec: { kind: 'string', matcher } };
    }
    case 'safe_regex_match': {
      const pattern = readRegexMatcher(m.safe_regex_match, sub, p);
      return pattern === undefined ? undefined : { ...base, spec: { kind: 'string', matcher: { kind: 'safe_regex', value: pattern, ignoreCase: false } } };
    }
    default: {
      // Deprecated exact_match / prefix_match / suffix_match / contains_match.
      const value = readString(m[which], sub, p);
      const kind = which.replace('_match', '') as StringMatcherModel['kind'];
      return value === undefined ? undefined : { ...base, spec: { kind: 'string', matcher: { kind, value, ignoreCase: false } } };
    }
  }
}

export function readQueryParameterMatcher(v: unknown, path: string, p: Problems): QueryParameterMatcherModel | undefined {
  const m = readMessage(v, path, p, { supported: ['name', 'string_match', 'present_match'] });
  if (!m) return undefined;
  const name = readString(m.name, joinPath(path, 'name'), p);
  if (!name) {
    p.add(joinPath(path, 'name'), 'is required');
    return undefined;
  }
  const which = readOneOf(m, ['string_match', 'present_match'], path, p, false);
  if (which === 'string_match') {
    const matcher = readStringMatcher(m.string_match, joinPath(path, 'string_match'), p);
    return matcher && { name, spec: { kind: 'string', matcher } };
  }
  if (which === 'present_match') {
    const present = readBool(m.present_match, joinPath(path, 'present_match'), p);
    return present === undefined ? undefined : { name, spec: { kind: 'present', present } };
  }
  // Neither set: Envoy treats it as a presence check.
  return { name, spec: { kind: 'present', present: true } };
}

const DENOMINATORS = ['HUNDRED', 'TEN_THOUSAND', 'MILLION'] as const;
const DENOMINATOR_VALUE = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;

/** FractionalPercent {numerator, denominator}. A numerator above the denominator means 100 %. */
export function readFractionalPercent(v: unknown, path: string, p: Problems): FractionModel | undefined {
  const m = readMessage(v, path, p, { supported: ['numerator', 'denominator'] });
  if (!m) return undefined;
  const numerator = readUint(m.numerator ?? 0, joinPath(path, 'numerator'), p, 0xffff_ffff);
  const denominator = DENOMINATOR_VALUE[readEnum(m.denominator, joinPath(path, 'denominator'), p, DENOMINATORS, 'HUNDRED')];
  return numerator === undefined ? undefined : { numerator: Math.min(numerator, denominator), denominator };
}

/** RuntimeFractionalPercent {default_value, runtime_key}. We have no runtime layer: the default applies. */
export function readRuntimeFraction(v: unknown, path: string, p: Problems): FractionModel | undefined {
  const m = readMessage(v, path, p, { supported: ['default_value', 'runtime_key'] });
  if (!m) return undefined;
  if (!isObject(m.default_value)) {
    p.add(joinPath(path, 'default_value'), 'is required');
    return undefined;
  }
  const fraction = readFractionalPercent(m.default_value, joinPath(path, 'default_value'), p);
  const runtimeKey = readString(m.runtime_key, joinPath(path, 'runtime_key'), p);
  return fraction && (runtimeKey ? { ...fraction, runtimeKey } : fraction);
}

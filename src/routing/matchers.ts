/**
 * Compiles the config model's matchers into closures once per snapshot, so matching a request is a
 * handful of string operations. Semantics follow Envoy's HeaderUtility::matchHeaders and RouteEntryImplBase.
 */
import { FractionModel, HeaderMatcherModel, QueryParameterMatcherModel, RouteMatchModel, StringMatcherModel } from '../config/model';
import { compileRegex } from '../config/regex';
import { RequestView, headerValue, pathOnly, queryParams } from './request-view';

export type StringPredicate = (value: string) => boolean;
export type RequestPredicate = (req: RequestView, random: () => number) => boolean;

export function compileStringMatcher(m: StringMatcherModel): StringPredicate {
  if (m.kind === 'safe_regex') {
    const re = compileRegex(m.value);
    return (v) => re.matches(v);
  }
  const want = m.ignoreCase ? m.value.toLowerCase() : m.value;
  const norm = m.ignoreCase ? (v: string) => v.toLowerCase() : (v: string) => v;
  switch (m.kind) {
    case 'exact': return (v) => norm(v) === want;
    case 'prefix': return (v) => norm(v).startsWith(want);
    case 'suffix': return (v) => norm(v).endsWith(want);
    case 'contains': return (v) => norm(v).includes(want);
  }
}

const INTEGER = /^-?\d+$/;

export function compileHeaderMatcher(h: HeaderMatcherModel): RequestPredicate {
  const { name, invert, treatMissingAsEmpty, spec } = h;
  if (spec.kind === 'present') {
    // present_match: presence equals the wanted value; invert flips it. The only matcher an absent header can satisfy.
    return (req) => ((headerValue(req, name) !== undefined) === spec.present) !== invert;
  }
  let test: StringPredicate;
  if (spec.kind === 'range') {
    test = (v) => {
      if (!INTEGER.test(v)) return false;
      const n = Number(v);
      return n >= spec.start && n < spec.end;
    };
  } else {
    test = compileStringMatcher(spec.matcher);
  }
  return (req) => {
    let v = headerValue(req, name);
    if (v === undefined) {
      if (!treatMissingAsEmpty) return false; // an absent header never matches, even inverted
      v = '';
    }
    return test(v) !== invert;
  };
}

export function compileQueryMatcher(q: QueryParameterMatcherModel): (params: Map<string, string>) => boolean {
  if (q.spec.kind === 'present') {
    const present = q.spec.present;
    return (params) => params.has(q.name) === present;
  }
  const test = compileStringMatcher(q.spec.matcher);
  return (params) => {
    const v = params.get(q.name);
    return v !== undefined && test(v);
  };
}

/** `random % denominator < numerator`, as Envoy's evaluateFractionalPercent. */
export function sampleFraction(f: FractionModel, random: () => number): boolean {
  if (f.numerator >= f.denominator) return true;
  if (f.numerator === 0) return false;
  return random() % f.denominator < f.numerator;
}

function compilePathMatcher(m: RouteMatchModel): (path: string) => boolean {
  const value = m.caseSensitive ? m.pathValue : m.pathValue.toLowerCase();
  const norm = m.caseSensitive ? (p: string) => p : (p: string) => p.toLowerCase();
  switch (m.pathKind) {
    // prefix sees the whole :path, query included (Envoy does not strip it for prefix matches).
    case 'prefix': return (p) => norm(p).startsWith(value);
    case 'path': return (p) => norm(pathOnly(p)) === value;
    case 'safe_regex': {
      const re = compileRegex(m.pathValue);
      return (p) => re.matches(pathOnly(p));
    }
    case 'path_separated_prefix': return (p) => {
      const path = norm(pathOnly(p));
      return path === value || (path.startsWith(value) && path.charCodeAt(value.length) === 47 /* '/' */);
    };
  }
}

/** All conditions of a RouteMatch, AND-ed, cheapest first. */
export function compileRouteMatch(m: RouteMatchModel): RequestPredicate {
  const path = compilePathMatcher(m);
  const headers = m.headers.map(compileHeaderMatcher);
  const queries = m.queryParameters.map(compileQueryMatcher);
  const fraction = m.runtimeFraction;
  if (headers.length === 0 && queries.length === 0 && !fraction) return (req) => path(req.path);
  return (req, random) => {
    if (!path(req.path)) return false;
    for (const h of headers) if (!h(req, random)) return false;
    if (queries.length > 0) {
      const params = queryParams(req.path);
      for (const q of queries) if (!q(params)) return false;
    }
    return fraction === undefined || sampleFraction(fraction, random);
  };
}

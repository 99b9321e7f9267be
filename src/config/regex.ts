/**
 * Envoy's safe_regex is RE2: linear-time, no backreferences or lookaround. We compile with re2js (a
 * pure-JS RE2 port) so a pattern pushed by a control plane can never make matching exponential.
 */
import { RE2JS } from 're2js';
import { Problems, joinPath } from './problems';
import { JsonObject, readMessage, requireString } from './proto-json';

export type CompiledRegex = RE2JS;

export function compileRegex(pattern: string, ignoreCase = false): CompiledRegex {
  return RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
}

/** Returns the error text of an invalid RE2 pattern, or undefined when it compiles. */
export function regexError(pattern: string): string | undefined {
  try {
    compileRegex(pattern);
    return undefined;
  } catch (err) {
    return `invalid regex: ${(err as Error).message}`;
  }
}

/** RegexMatcher {google_re2 (deprecated, ignored), regex}. */
export function readRegexMatcher(v: unknown, path: string, p: Problems): string | undefined {
  const m = readMessage(v, path, p, { supported: ['regex', 'google_re2'] });
  if (!m) return undefined;
  const pattern = requireString(m.regex, joinPath(path, 'regex'), p);
  if (pattern === undefined) return undefined;
  const err = regexError(pattern);
  if (err) {
    p.add(joinPath(path, 'regex'), err);
    return undefined;
  }
  return pattern;
}

/**
 * RE2 substitutions write capture groups as `\1`; re2js (Java-style) writes them `$1`.
 * Translated once at config time.
 */
export function toRe2jsReplacement(substitution: string): string {
  let out = '';
  for (let i = 0; i < substitution.length; i++) {
    const c = substitution[i];
    if (c === '\\' && i + 1 < substitution.length && /[0-9]/.test(substitution[i + 1])) {
      out += `$${substitution[++i]}`;
    } else if (c === '\\' && substitution[i + 1] === '\\') {
      out += '\\\\';
      i++;
    } else if (c === '$') {
      out += '\\$';
    } else {
      out += c;
    }
  }
  return out;
}

/** RegexMatchAndSubstitute {pattern, substitution}. */
export function readRegexRewrite(v: unknown, path: string, p: Problems): { pattern: string; substitution: string } | undefined {
  const m: JsonObject | undefined = readMessage(v, path, p, { supported: ['pattern', 'substitution'] });
  if (!m) return undefined;
  const pattern = readRegexMatcher(m.pattern, joinPath(path, 'pattern'), p);
  const substitution = typeof m.substitution === 'string' ? m.substitution : '';
  if (m.substitution !== undefined && typeof m.substitution !== 'string') p.add(joinPath(path, 'substitution'), 'expected a string');
  return pattern === undefined ? undefined : { pattern, substitution };
}

/**
 * RegexMatchAndSubstitute applied to a request path, compiled once: Envoy rewrites the path only, so
 * the query string (and any fragment) is carried over unchanged. Shared by route and redirect actions.
 */
import { compileRegex, toRe2jsReplacement } from '../config/regex';
import { pathOnly } from './request-view';

export function compileRegexRewrite(rewrite: { pattern: string; substitution: string }): (path: string) => string {
  const re = compileRegex(rewrite.pattern);
  const replacement = toRe2jsReplacement(rewrite.substitution);
  return (path) => {
    const just = pathOnly(path);
    return re.matcher(just).replaceAll(replacement) + path.slice(just.length);
  };
}

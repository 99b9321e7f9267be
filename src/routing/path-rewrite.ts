/**
 * RegexMatchAndSubstitute applied to a request path, compiled once: Envoy rewrites the path only, so
 * the query string (and any fragment) is carried over unchanged. Shared by route and redirect actions.
 */
import { compileRegex, toRe2jsReplacement } from '../config/regex';

export function compileRegexRewrite(rewrite: { pattern: string; substitution: string }): (path: string) => string {
  const re = compileRegex(rewrite.pattern);
  const replacement = toRe2jsReplacement(rewrite.substitution);
  return (path) => {
    let end = path.indexOf('?');
    const hash = path.indexOf('#');
    if (hash !== -1 && (end === -1 || hash < end)) end = hash;
    const just = end === -1 ? path : path.slice(0, end);
    return re.matcher(just).replaceAll(replacement) + (end === -1 ? '' : path.slice(end));
  };
}

/** /stats?filter=: an RE2 regex matched anywhere in the stat name (Envoy's partial match). */
import { compileRegex } from '../config/regex';

/** undefined: no filter; null: the regex is invalid. */
export function statsFilter(pattern: string | undefined): ((name: string) => boolean) | undefined | null {
  if (pattern === undefined || pattern === '') return undefined;
  try {
    const re = compileRegex(pattern);
    return (name) => re.matcher(name).find();
  } catch {
    return null;
  }
}

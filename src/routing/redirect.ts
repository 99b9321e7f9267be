/** The Location of a RedirectAction, as Envoy's RouteEntryImplBase::newUri builds it. */
import { RedirectModel } from '../config/model';
import { compileRegex, toRe2jsReplacement } from '../config/regex';
import { portStart } from './host';

const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

export function buildRedirectLocation(r: RedirectModel, scheme: string, authority: string, url: string, matchedPrefixLength = 0): string {
  const finalScheme = r.scheme ?? scheme;
  let host = r.hostRedirect ?? authority;
  const ps = portStart(host);
  let port = ps === -1 ? '' : host.slice(ps + 1);
  if (ps !== -1) host = host.slice(0, ps);
  if (r.portRedirect) port = String(r.portRedirect);
  else if (port !== '' && r.scheme && DEFAULT_PORT[scheme] === port) port = ''; // scheme change drops the old default port
  if (port === DEFAULT_PORT[finalScheme]) port = '';

  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  let query = q === -1 ? '' : url.slice(q);
  if (r.pathRedirect !== undefined) {
    const pq = r.pathRedirect.indexOf('?');
    path = pq === -1 ? r.pathRedirect : r.pathRedirect.slice(0, pq);
    if (pq !== -1) query = r.pathRedirect.slice(pq);
  } else if (r.prefixRewrite !== undefined) {
    path = r.prefixRewrite + path.slice(matchedPrefixLength);
  } else if (r.regexRewrite) {
    path = compileRegex(r.regexRewrite.pattern).matcher(path).replaceAll(toRe2jsReplacement(r.regexRewrite.substitution));
  }
  if (r.stripQuery) query = '';
  return `${finalScheme}://${host}${port ? `:${port}` : ''}${path}${query}`;
}

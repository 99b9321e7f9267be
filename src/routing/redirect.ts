/**
 * The Location of a RedirectAction (and of a 201/3xx direct response), as Envoy's
 * RouteEntryImplBase::newPath / processRequestHost build it (source/common/router/config_impl.cc):
 * - scheme: scheme_redirect, else https when https_redirect, else the request's;
 * - host: host_redirect verbatim; else the request Host, whose port is dropped when port_redirect is set,
 *   or when the scheme changes and the port is the default one of x-forwarded-proto (":80" for http,
 *   ":443" for https) — a ":80" is kept when the scheme does not change;
 * - port: ":<port_redirect>" appended when set (never dropped, even when it is the scheme's default);
 * - path: path_redirect (its own query string wins and is never stripped; else the request's query is
 *   kept), or the request path after prefix_rewrite / regex_rewrite; strip_query drops the request's query.
 */
import { RedirectModel } from '../config/model';

export interface RedirectRequest {
  /** The request's scheme (:scheme). */
  scheme: string;
  /** x-forwarded-proto after the HCM's handling; decides which default port is dropped. */
  forwardedProto: string;
  /** Host/:authority as routed. */
  authority: string;
  /** :path with its query string. */
  path: string;
}

/** Envoy's processRequestHost: the request Host, with its port dropped in the cases above. */
function processRequestHost(authority: string, newScheme: string, newPort: string, forwardedProto: string): string {
  if (authority === '') return authority;
  let hostEnd: number;
  if (authority[0] === '[') {
    hostEnd = authority.lastIndexOf(']:');
    if (hostEnd !== -1) hostEnd += 1;
  } else {
    hostEnd = authority.lastIndexOf(':');
  }
  if (hostEnd === -1) return authority;
  const requestPort = authority.slice(hostEnd);
  let removePort = newPort !== '';
  if (newScheme !== forwardedProto) {
    removePort ||= forwardedProto === 'https' && requestPort === ':443';
    removePort ||= forwardedProto === 'http' && requestPort === ':80';
  }
  return removePort ? authority.slice(0, hostEnd) : authority;
}

/** The request path after the redirect's prefix_rewrite or (compiled) regex_rewrite, query string kept. */
function rewrittenPath(r: RedirectModel | undefined, path: string, matchedLength: number, regexRewrite?: (path: string) => string): string {
  if (r?.prefixRewrite !== undefined) return r.prefixRewrite + path.slice(matchedLength);
  return regexRewrite ? regexRewrite(path) : path;
}

/** `r` undefined: the Location of a 201/3xx direct response (the request's own URL). */
export function buildRedirectLocation(r: RedirectModel | undefined, req: RedirectRequest, matchedLength = 0, regexRewrite?: (path: string) => string): string {
  const scheme = r?.scheme ?? req.scheme;
  const port = r?.portRedirect ? `:${r.portRedirect}` : '';
  const host = r?.hostRedirect ?? processRequestHost(req.authority, scheme, port, req.forwardedProto);
  let path: string;
  const redirectHasQuery = r?.pathRedirect !== undefined && r.pathRedirect.includes('?');
  if (r?.pathRedirect !== undefined && r.pathRedirect !== '') {
    const q = req.path.indexOf('?');
    path = redirectHasQuery || q === -1 ? r.pathRedirect : r.pathRedirect + req.path.slice(q);
  } else {
    path = rewrittenPath(r, req.path, matchedLength, regexRewrite);
  }
  if (!path.startsWith('/')) path = `/${path}`;
  if (!redirectHasQuery && r?.stripQuery) {
    const q = path.indexOf('?');
    if (q !== -1) path = path.slice(0, q);
  }
  return `${scheme}://${host}${port}${path}`;
}

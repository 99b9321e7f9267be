/** What route matching reads from a request. Built once per request by the router plugin. */
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestView {
  method: string;
  /** Host/:authority as received (after the HCM's port stripping), original case. */
  authority: string;
  /** :path including the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  scheme: string;
  /** Node's rawHeaders (name, value, name, value …): tells repeated header lines apart from one value. */
  rawHeaders?: readonly string[];
}

/** Value of a header for matching; Envoy's pseudo-headers map onto the request line. */
export function headerValue(req: RequestView, name: string): string | undefined {
  if (name.charCodeAt(0) === 58 /* ':' */) {
    switch (name) {
      case ':authority': return req.authority;
      case ':path': return req.path;
      case ':method': return req.method;
      case ':scheme': return req.scheme;
      default: return undefined;
    }
  }
  const v = req.headers[name];
  // Envoy joins multiple values with ',' before matching (getAllOfHeaderAsString).
  if (Array.isArray(v)) return v.join(',');
  // Node joined repeated lines with ", "; undo that when the value is still what the client sent.
  if (v !== undefined && req.rawHeaders && v.includes(', ')) return rejoin(req.rawHeaders, name, v) ?? v;
  return v;
}

function rejoin(raw: readonly string[], name: string, joined: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === name.length && raw[i].toLowerCase() === name) values.push(raw[i + 1]);
  return values.length > 1 && values.join(', ') === joined ? values.join(',') : undefined;
}

/** The path without query string and fragment (Envoy's removeQueryAndFragment). */
export function pathOnly(path: string): string {
  let end = path.length;
  const q = path.indexOf('?');
  if (q !== -1) end = q;
  const h = path.indexOf('#');
  if (h !== -1 && h < end) end = h;
  return end === path.length ? path : path.slice(0, end);
}

/** First value of each query parameter, not URL-decoded (as Envoy's query matchers see them). */
export function queryParams(path: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = path.indexOf('?');
  if (q === -1) return out;
  let query = path.slice(q + 1);
  const h = query.indexOf('#');
  if (h !== -1) query = query.slice(0, h);
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (!out.has(key)) out.set(key, eq === -1 ? '' : part.slice(eq + 1));
  }
  return out;
}

/** RFC 9110 §7.6.1 connection-specific headers: never forwarded in either direction. */
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderMap } from '../routing/header-mutations';

export type { HeaderMap };

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);


/**
 * Copies `src` without hop-by-hop headers, nor any header the Connection header names, into `out`
 * (a new object by default; the tracer's has the trace header fields reserved).
 */
export function copyWithoutHopByHop(src: IncomingHttpHeaders, skip?: ReadonlySet<string>, out: HeaderMap = {}): HeaderMap {
  const connection = src.connection;
  const listed = connection ? new Set(connection.toLowerCase().split(',').map((s) => s.trim())) : undefined;
  for (const key in src) {
    if (HOP_BY_HOP.has(key) || listed?.has(key) || skip?.has(key)) continue;
    out[key] = src[key];
  }
  return out;
}

/**
 * Span attribute names: OTel HTTP semantic conventions (stable v1.2x names) for the standard fields,
 * Envoy's tag names where Envoy users search by them in Jaeger/Zipkin (`upstream_cluster`,
 * `guid:x-request-id` — Envoy's Tracing::Tags, source/common/tracing/common_values.h).
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';

export const ATTR = {
  method: ATTR_HTTP_REQUEST_METHOD,
  path: ATTR_URL_PATH,
  scheme: ATTR_URL_SCHEME,
  urlFull: ATTR_URL_FULL,
  serverAddress: ATTR_SERVER_ADDRESS,
  serverPort: ATTR_SERVER_PORT,
  statusCode: ATTR_HTTP_RESPONSE_STATUS_CODE,
  peerAddress: ATTR_NETWORK_PEER_ADDRESS,
  userAgent: ATTR_USER_AGENT_ORIGINAL,
  errorType: ATTR_ERROR_TYPE,
  upstreamCluster: 'upstream_cluster',
  routeName: 'route_name',
  requestId: 'guid:x-request-id',
  shadow: 'shadow',
  /** semconv request-header attribute (a string array); shows the `-shadow` Host a mirror sent */
  requestHost: 'http.request.header.host',
} as const;

/** `example.com:8080` → ['example.com', 8080]; IPv6 literals keep their brackets (`[::1]:80`). */
export function splitHostPort(host: string): [string, number | undefined] {
  const colon = host.lastIndexOf(':');
  if (colon <= 0 || host.indexOf(']', colon) !== -1) return [host, undefined];
  const port = Number(host.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? [host.slice(0, colon), port] : [host, undefined];
}

/** Path without the query: queries carry tokens and ids we must not ship to a trace backend. */
export function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

/** The URL without its query string, for url.full on client spans. */
export function urlWithoutQuery(url: string): string {
  return pathOnly(url);
}

/**
 * error.type per semconv: the failure's code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`) or name,
 * else the status code for a 5xx answer.
 */
export function errorType(statusCode: number | undefined, error: unknown): string | undefined {
  if (error !== undefined && error !== null) {
    const e = error as { code?: unknown; name?: unknown };
    if (typeof e.code === 'string' && e.code) return e.code;
    if (typeof e.name === 'string' && e.name) return e.name;
    return '_OTHER';
  }
  return statusCode !== undefined && statusCode >= 500 ? String(statusCode) : undefined;
}

export function errorMessage(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  return error instanceof Error ? error.message : String(error);
}

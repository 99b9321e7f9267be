/** Host/:authority helpers shared by routing, the HCM and the shadow writer. */

/**
 * Envoy's HeaderUtility::getPortStart: index of the ':' that starts the port, or -1. A ':' inside an
 * IPv6 literal ("[::1]") is not a port separator.
 */
export function portStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon === -1) return -1;
  const bracket = host.lastIndexOf(']');
  if (bracket > colon) return -1;
  // "::1" without brackets: an IPv6 address, not host:port.
  if (bracket === -1 && host.indexOf(':') !== colon) return -1;
  return colon;
}

export function stripPort(host: string): string {
  const i = portStart(host);
  return i === -1 ? host : host.slice(0, i);
}

/** Envoy's shadowAppendedHost: "foo:8080" → "foo-shadow:8080", "[::1]:80" → "[::1]-shadow:80". */
export function shadowHost(host: string): string {
  const i = portStart(host);
  return i === -1 ? `${host}-shadow` : `${host.slice(0, i)}-shadow${host.slice(i)}`;
}

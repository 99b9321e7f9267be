/** Whether a request carries a body (RFC 9112 §6.3: Transfer-Encoding, or a non-zero Content-Length). */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export function declaresBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** A request whose declared body has not been read to the end (its connection cannot be reused as is). */
export function bodyUnread(raw: IncomingMessage): boolean {
  return !raw.complete && declaresBody(raw.headers);
}

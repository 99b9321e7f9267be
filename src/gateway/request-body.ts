/** Whether a request carries a body (RFC 9112 §6.3: Transfer-Encoding, or a non-zero Content-Length). */
import type { IncomingHttpHeaders } from 'node:http';

export function declaresBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/**
 * The error catalogue: every error shadowgate raises has an SG_ERR_<AREA>_<WHAT> code, and upstream
 * failures map to Envoy's local replies in exactly one place (router.cc's bodies, status codes and
 * response flags), so dashboards and clients built for Envoy keep working.
 */

export const ERROR_CODES = {
  SG_ERR_CONFIG_INVALID: 'configuration rejected',
  SG_ERR_CLI_USAGE: 'invalid command line',
  SG_ERR_LISTENER_BIND: 'listener could not bind its address',
  SG_ERR_UPSTREAM_CONNECT: 'upstream connection failed',
  SG_ERR_UPSTREAM_RESET: 'upstream connection reset',
  SG_ERR_UPSTREAM_TIMEOUT: 'upstream request timed out',
  SG_ERR_UPSTREAM_OVERFLOW: 'circuit breaker open',
  SG_ERR_UPSTREAM_NO_HEALTHY: 'no healthy upstream',
  SG_ERR_XDS_STREAM: 'xDS stream failed',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ShadowgateError extends Error {
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShadowgateError';
  }
}

/** Why an upstream request failed, in Envoy's terms (Http::StreamResetReason). */
export type UpstreamFailureKind = 'no_healthy_upstream' | 'overflow' | 'timeout' | 'connect_failure' | 'connect_timeout' | 'reset';

export interface UpstreamFailure {
  kind: UpstreamFailureKind;
  /** Transport detail for Envoy's "transport failure reason" (e.g. "delayed connect error: Connection refused"). */
  detail?: string;
}

export interface LocalReply {
  status: number;
  body: string;
  /** Envoy response flag for access logs (UH, UO, UT, UF, UC). */
  flag: string;
  /** Extra headers Envoy sets on this reply. */
  headers?: Record<string, string>;
}

const CONNECT_ERROR = 'upstream connect error or disconnect/reset before headers.';

/** Maps an upstream failure to the exact local reply Envoy's router sends. */
export function localReplyFor(failure: UpstreamFailure): LocalReply {
  switch (failure.kind) {
    case 'no_healthy_upstream':
      return { status: 503, body: 'no healthy upstream', flag: 'UH' };
    case 'overflow':
      return { status: 503, body: `${CONNECT_ERROR} reset reason: overflow`, flag: 'UO', headers: { 'x-envoy-overloaded': 'true' } };
    case 'timeout':
      return { status: 504, body: 'upstream request timeout', flag: 'UT' };
    case 'connect_timeout':
      return { status: 503, body: `${CONNECT_ERROR} reset reason: connection timeout`, flag: 'UF' };
    case 'connect_failure':
      return { status: 503, body: `${CONNECT_ERROR} reset reason: remote connection failure, transport failure reason: ${failure.detail ?? 'connection failure'}`, flag: 'UF' };
    case 'reset':
      return { status: 503, body: `${CONNECT_ERROR} reset reason: connection termination`, flag: 'UC' };
  }
}

const CONNECT_ERRNOS: Record<string, string> = {
  ECONNREFUSED: 'delayed connect error: Connection refused',
  EHOSTUNREACH: 'delayed connect error: No route to host',
  ENETUNREACH: 'delayed connect error: Network is unreachable',
  ENOTFOUND: 'resolution failure',
  EAI_AGAIN: 'resolution failure',
};

/** Classifies an undici / socket error raised before response headers arrived. */
export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e?.code ?? '';
  const causeCode = e?.cause?.code ?? '';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || causeCode === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'connect_timeout' };
  const errno = CONNECT_ERRNOS[code] ? code : CONNECT_ERRNOS[causeCode] ? causeCode : undefined;
  if (errno) return { kind: 'connect_failure', detail: CONNECT_ERRNOS[errno] };
  return { kind: 'reset' };
}

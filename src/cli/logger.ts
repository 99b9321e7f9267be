/** The process logger (pino, which Fastify uses too). Envoy's log levels map onto pino's. */
import pino, { Logger } from 'pino';

const LEVELS: Record<string, string> = { trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', off: 'silent' };

export function createLogger(level = 'info'): Logger {
  return pino({ level: LEVELS[level] ?? 'info', base: { name: 'shadowgate' } });
}

export function isValidLogLevel(level: string): boolean {
  return level in LEVELS;
}

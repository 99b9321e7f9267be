/**
 * The push API's bearer token. Resolution order: --token-file, SHADOWGATE_TOKEN, else
 * <data-dir>/token (generated on first start, mode 0600, reused afterwards so a restart does not
 * lock operators out). ADS needs no token: gateways are authenticated by mTLS when configured.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { writeFileAtomic } from './atomic-file';

export const TOKEN_ENV = 'SHADOWGATE_TOKEN';
export const TOKEN_FILE_NAME = 'token';

export interface ResolvedToken {
  token: string;
  /** Where it came from, for the startup log line ("--token-file /etc/sg/token", "SHADOWGATE_TOKEN", a path). */
  source: string;
  generated: boolean;
}

export async function resolveToken(options: { tokenFile?: string; env?: NodeJS.ProcessEnv; dataDir: string }): Promise<ResolvedToken> {
  if (options.tokenFile) return { token: await readTokenFile(options.tokenFile), source: `--token-file ${options.tokenFile}`, generated: false };
  const fromEnv = (options.env ?? process.env)[TOKEN_ENV]?.trim();
  if (fromEnv) return { token: fromEnv, source: TOKEN_ENV, generated: false };
  const file = path.join(options.dataDir, TOKEN_FILE_NAME);
  try {
    return { token: await readTokenFile(file), source: file, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFileAtomic(file, `${token}\n`, { mode: 0o600 });
  return { token, source: file, generated: true };
}

export async function readTokenFile(file: string): Promise<string> {
  const token = (await fsp.readFile(file, 'utf8')).trim();
  if (!token) throw new Error(`token file ${file} is empty`);
  return token;
}

/**
 * Checks `authorization: Bearer <token>` in constant time: both sides are hashed to 32 bytes first,
 * so timingSafeEqual compares equal lengths and the comparison time says nothing about the token.
 */
export class BearerAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  check(metadata: grpc.Metadata): boolean {
    const value = metadata.get('authorization')[0];
    if (typeof value !== 'string') return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
    if (!match) return false;
    return timingSafeEqual(digest(match[1]), this.expected);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

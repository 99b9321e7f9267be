/**
 * `shadowgate control-plane --listen 127.0.0.1:15010 --data-dir DIR`: the xDS management server
 * (SotW + Delta ADS) and the push API on one gRPC port.
 */
import { parseFlags, untilSignal } from './args';
import { createLogger, isValidLogLevel } from './logger';
import { ShadowgateError } from '../errors';
import { startControlPlane } from '../control-plane/control-plane-server';
import { DEFAULT_KEEP_VERSIONS } from '../control-plane/snapshot-store';
import { TOKEN_ENV } from '../control-plane/auth';

export const DEFAULT_LISTEN = '127.0.0.1:15010';

const HELP = `usage: shadowgate control-plane --data-dir DIR [flags]

      --listen HOST:PORT     gRPC address for ADS and the push API (default ${DEFAULT_LISTEN}, Istio's xDS port)
      --data-dir DIR         where accepted versions are kept (created if missing); a restart serves the newest
      --token-file FILE      push API bearer token (else $${TOKEN_ENV}, else DIR/token, generated on first start)
      --tls-cert FILE        serve TLS with this certificate chain (PEM) …
      --tls-key FILE         … and this private key
      --tls-client-ca FILE   require client certificates signed by this CA (mutual TLS, gateways and operators)
      --keep-versions N      versions kept on disk for history and rollback (default ${DEFAULT_KEEP_VERSIONS})
  -l, --log-level LEVEL      trace|debug|info|warning|error|critical|off (default info)
`;

export async function runControlPlaneCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    listen: { type: 'string', default: DEFAULT_LISTEN },
    'data-dir': { type: 'string' },
    'token-file': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-client-ca': { type: 'string' },
    'keep-versions': { type: 'string', default: String(DEFAULT_KEEP_VERSIONS) },
    'log-level': { type: 'string', short: 'l', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  }, 'control-plane');
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const usage = (msg: string): ShadowgateError => new ShadowgateError('SG_ERR_CLI_USAGE', `control-plane: ${msg}`);
  if (!flags['data-dir']) throw usage('--data-dir DIR is required (accepted versions are persisted there)');
  if (!/^(\[[^\]]+\]|[^:]+):\d+$/.test(String(flags.listen))) throw usage(`--listen expects HOST:PORT, got "${flags.listen}"`);
  if (!!flags['tls-cert'] !== !!flags['tls-key']) throw usage('--tls-cert and --tls-key go together');
  if (flags['tls-client-ca'] && !flags['tls-cert']) throw usage('--tls-client-ca needs --tls-cert and --tls-key');
  const keep = Number(flags['keep-versions']);
  if (!Number.isInteger(keep) || keep < 1) throw usage(`--keep-versions must be a whole number ≥ 1, got "${flags['keep-versions']}"`);
  const level = String(flags['log-level']);
  if (!isValidLogLevel(level)) throw usage(`unknown log level "${level}"`);
  const logger = createLogger(level);
  const handle = await startControlPlane({
    listen: String(flags.listen),
    dataDir: String(flags['data-dir']),
    logger,
    ...(flags['token-file'] ? { tokenFile: flags['token-file'] } : {}),
    ...(flags['tls-cert'] && flags['tls-key'] ? { tls: { cert: flags['tls-cert'], key: flags['tls-key'], ...(flags['tls-client-ca'] ? { clientCa: flags['tls-client-ca'] } : {}) } } : {}),
    store: { keepVersions: keep },
  });
  const signal = await untilSignal();
  logger.info(`${signal}: closing ADS streams; gateways keep their configuration and reconnect`);
  await handle.close();
  return 0;
}

/** `shadowgate proxy -c FILE [-l LEVEL] [--service-node ID] [--service-cluster NAME]` — Envoy's flag names. */
import { parseFlags, untilSignal } from './args';
import { readBootstrapFile } from './bootstrap-file';
import { isValidLogLevel } from './logger';
import { ShadowgateError } from '../errors';

const HELP = `usage: shadowgate proxy -c FILE [flags]

  -c, --config-path FILE     Envoy v3 bootstrap (YAML or JSON)
      --config-yaml TEXT     inline bootstrap (instead of, or merged over, -c)
  -l, --log-level LEVEL      trace|debug|info|warning|error|critical|off (default info)
      --service-node ID      overrides node.id
      --service-cluster NAME overrides node.cluster
      --shadow-strip-headers LIST  request headers removed from every shadow copy, e.g.
                             authorization,cookie (env SHADOWGATE_SHADOW_STRIP_HEADERS; default none)
      --shadow-methods LIST  only these methods are mirrored, e.g. GET,HEAD
                             (env SHADOWGATE_SHADOW_METHODS; default every method, as Envoy)
`;

export async function runProxyCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    'config-path': { type: 'string', short: 'c' },
    'config-yaml': { type: 'string' },
    'log-level': { type: 'string', short: 'l', default: 'info' },
    'service-node': { type: 'string' },
    'service-cluster': { type: 'string' },
    'shadow-strip-headers': { type: 'string' },
    'shadow-methods': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, 'proxy');
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const level = String(flags['log-level']);
  if (!isValidLogLevel(level)) throw new ShadowgateError('SG_ERR_CLI_USAGE', `proxy: unknown log level "${level}"`);
  const source = {
    ...(flags['config-path'] ? { configPath: String(flags['config-path']) } : {}),
    ...(flags['config-yaml'] ? { configYaml: String(flags['config-yaml']) } : {}),
    ...(flags['service-node'] ? { serviceNode: String(flags['service-node']) } : {}),
    ...(flags['service-cluster'] ? { serviceCluster: String(flags['service-cluster']) } : {}),
  };
  // Check the config before loading the gateway (Fastify, undici, OpenTelemetry…): a bad file is reported fast.
  const bootstrap = await readBootstrapFile(source);
  const { startProxy } = await import('./proxy');
  const handle = await startProxy({
    ...source,
    bootstrap,
    logLevel: level,
    shadow: {
      ...(flags['shadow-strip-headers'] !== undefined ? { stripHeaders: String(flags['shadow-strip-headers']) } : {}),
      ...(flags['shadow-methods'] !== undefined ? { methods: String(flags['shadow-methods']) } : {}),
    },
  });
  const signal = await untilSignal();
  handle.logger.info(`${signal}: draining listeners`);
  await handle.close();
  return 0;
}

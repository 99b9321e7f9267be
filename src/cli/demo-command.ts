/**
 * `shadowgate demo` (what `npm start` runs): demo services v1 and v2 and the gateway with
 * examples/bootstrap.yaml, all on 127.0.0.1. Ports: gateway 10000, admin 9901, v1 8081, v2 8082.
 */
import path from 'node:path';
import { parseFlags, untilSignal } from './args';
import { startProxy } from './proxy';
import { startEchoService } from '../demo/echo-service';
import { PACKAGE_ROOT } from '../package-root';

export async function runDemoCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, { 'config-path': { type: 'string', short: 'c' }, 'log-level': { type: 'string', short: 'l', default: 'info' }, help: { type: 'boolean', short: 'h' } }, 'demo');
  if (flags.help) {
    process.stdout.write('usage: shadowgate demo [-c bootstrap.yaml] [-l level]\n');
    return 0;
  }
  const v1 = await startEchoService('demo-v1', '127.0.0.1', 8081);
  const v2 = await startEchoService('demo-v2', '127.0.0.1', 8082);
  const configPath = flags['config-path'] ? String(flags['config-path']) : path.join(PACKAGE_ROOT, 'examples', 'bootstrap.yaml');
  const proxy = await startProxy({ configPath, logLevel: String(flags['log-level']) });
  const port = proxy.gateway.listenerPort('ingress');
  process.stdout.write(
    `\nshadowgate demo is up\n` +
      `  gateway   http://127.0.0.1:${port}/   (90 % demo-v1, 10 % demo-v2)\n` +
      `  admin     http://127.0.0.1:${proxy.admin?.port}/stats  /config_dump  /clusters  /ready\n` +
      `  services  demo-v1 :${v1.port}, demo-v2 :${v2.port}\n` +
      `Try: curl -s 127.0.0.1:${port}/hello\n\n`,
  );
  await untilSignal();
  await proxy.close();
  await Promise.all([v1.close(), v2.close()]);
  return 0;
}

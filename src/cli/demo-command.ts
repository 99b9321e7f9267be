/**
 * `shadowgate demo` (what `npm start` runs), all on 127.0.0.1: demo services v1 (8081) and v2 (8082),
 * the control plane (15010, data dir under the OS temp dir) serving examples/push-config.yaml, and a
 * gateway (10000, admin 9901) that gets everything over ADS from it — the whole push loop on one
 * machine. `-c bootstrap.yaml` runs the old static path instead: the gateway alone from that file.
 */
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseFlags, untilSignal } from './args';
import { ProxyHandle, startProxy } from './proxy';
import { createLogger } from './logger';
import { startEchoService } from '../demo/echo-service';
import { PACKAGE_ROOT } from '../package-root';
import { ConfigError } from '../config/problems';
import { ControlPlaneHandle, startControlPlane } from '../control-plane/control-plane-server';
import { parsePushDocument } from '../control-plane/push-document';
import { TOKEN_ENV } from '../control-plane/auth';

const CONTROL_PLANE_PORT = 15010;

/** The demo gateway's bootstrap: only the control plane's address is static (examples/compose/gateway.yaml is the same shape). */
export function demoAdsBootstrap(controlPlanePort: number): string {
  return JSON.stringify({
    node: { id: 'gateway-demo', cluster: 'demo' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } },
    static_resources: {
      clusters: [{
        name: 'xds_cluster', type: 'STATIC', connect_timeout: '1s',
        load_assignment: { cluster_name: 'xds_cluster', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: controlPlanePort } } } }] }] },
      }],
    },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }], set_node_on_first_message_only: true },
      lds_config: { ads: {}, resource_api_version: 'V3' },
      cds_config: { ads: {}, resource_api_version: 'V3' },
    },
  });
}

export async function runDemoCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, { 'config-path': { type: 'string', short: 'c' }, 'log-level': { type: 'string', short: 'l', default: 'info' }, help: { type: 'boolean', short: 'h' } }, 'demo');
  if (flags.help) {
    process.stdout.write('usage: shadowgate demo [-c bootstrap.yaml] [-l level]\n  without -c: control plane + gateway over ADS + demo services; with -c: a static gateway from that bootstrap\n');
    return 0;
  }
  const logLevel = String(flags['log-level']);
  const v1 = await startEchoService('demo-v1', '127.0.0.1', 8081);
  const v2 = await startEchoService('demo-v2', '127.0.0.1', 8082);
  let cp: ControlPlaneHandle | undefined;
  let proxy: ProxyHandle | undefined;
  try {
    if (flags['config-path']) {
      proxy = await startProxy({ configPath: String(flags['config-path']), logLevel });
    } else {
      const logger = createLogger(logLevel);
      cp = await startDemoControlPlane(logger);
      proxy = await startProxy({ configYaml: demoAdsBootstrap(cp.port), logger });
    }
    printBanner(proxy, cp, v1.port, v2.port);
    await untilSignal();
  } finally {
    await proxy?.close();
    await cp?.close();
    await Promise.all([v1.close(), v2.close()]);
  }
  return 0;
}

/** Starts the control plane and pushes the demo config (a no-op when a previous run left it there). */
async function startDemoControlPlane(logger: Logger): Promise<ControlPlaneHandle> {
  const dataDir = path.join(os.tmpdir(), 'shadowgate-demo');
  const cp = await startControlPlane({ listen: `127.0.0.1:${CONTROL_PLANE_PORT}`, dataDir, logger: logger.child({ component: 'control-plane' }) });
  try {
    const file = path.join(PACKAGE_ROOT, 'examples', 'push-config.yaml');
    const doc = parsePushDocument(await fsp.readFile(file, 'utf8'), file);
    if (!doc.lists) throw new ConfigError(doc.problems);
    await cp.store.push({ full: doc.lists, group: '', description: 'shadowgate demo: examples/push-config.yaml' });
  } catch (err) {
    await cp.close();
    throw err;
  }
  return cp;
}

function printBanner(proxy: ProxyHandle, cp: ControlPlaneHandle | undefined, v1Port: number, v2Port: number): void {
  const port = proxy.gateway.listenerPort('ingress');
  let text = `\nshadowgate demo is up\n` +
    `  gateway        http://127.0.0.1:${port}/   (90 % demo-v1, 10 % demo-v2, every request shadowed to demo-v2)\n` +
    `  admin          http://127.0.0.1:${proxy.admin?.port}/stats  /config_dump  /clusters  /ready\n` +
    `  services       demo-v1 :${v1Port}, demo-v2 :${v2Port}\n`;
  if (cp) {
    const fromEnv = cp.tokenSource === TOKEN_ENV;
    const auth = fromEnv ? `--server ${cp.address}` : `--server ${cp.address} --token-file ${cp.tokenSource}`;
    text += `  control plane  ${cp.address} (version ${cp.store.version}; token ${fromEnv ? `from $${TOKEN_ENV}` : `in ${cp.tokenSource}`})\n` +
      `Try: curl -s 127.0.0.1:${port}/hello\n` +
      `     shadowgate status ${auth}\n` +
      `     edit the weights in examples/push-config.yaml, then: shadowgate push -f examples/push-config.yaml --wait ${auth}\n\n`;
  } else text += `Try: curl -s 127.0.0.1:${port}/hello\n\n`;
  process.stdout.write(text);
}

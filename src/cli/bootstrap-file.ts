/**
 * Reads and validates the bootstrap named on the command line (-c FILE or --config-yaml TEXT). Light on
 * purpose: `shadowgate proxy` checks the config with this before it loads the gateway, so a bad file is
 * reported in a fraction of the start-up time.
 */
import { readFile } from 'node:fs/promises';
import { BootstrapModel, loadBootstrapText } from '../config/bootstrap';
import { ConfigError } from '../config/problems';

export interface BootstrapSource {
  configPath?: string;
  /** Inline bootstrap (Envoy's --config-yaml). */
  configYaml?: string;
  serviceNode?: string;
  serviceCluster?: string;
}

export async function readBootstrapFile(options: BootstrapSource): Promise<BootstrapModel> {
  let text = options.configYaml ?? '';
  let source = '--config-yaml';
  if (options.configPath) {
    try {
      text = await readFile(options.configPath, 'utf8');
      source = options.configPath;
    } catch (err) {
      throw new ConfigError([{ path: options.configPath, message: `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
    }
  }
  if (!options.configPath && options.configYaml === undefined) throw new ConfigError([{ path: '', message: 'a bootstrap is required: -c/--config-path FILE or --config-yaml TEXT' }]);
  return loadBootstrapText(text, source, { ...(options.serviceNode ? { serviceNode: options.serviceNode } : {}), ...(options.serviceCluster ? { serviceCluster: options.serviceCluster } : {}) });
}

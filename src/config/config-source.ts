/** ConfigSource (config_source.proto): only ADS is supported; everything else is reported. */
import { Problems, joinPath } from './problems';
import { readDurationMs, readMessage } from './proto-json';

/** Envoy's default initial_fetch_timeout. */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

export function readConfigSource(v: unknown, path: string, p: Problems): { initialFetchTimeoutMs: number } | undefined {
  const m = readMessage(v, path, p, {
    supported: ['ads', 'initial_fetch_timeout', 'resource_api_version'],
    unsupported: ['path', 'path_config_source', 'api_config_source', 'self', 'authorities'],
  });
  if (!m) return undefined;
  if (m.ads === undefined) {
    p.add(path, 'only ads: {} config sources are supported');
    return undefined;
  }
  if (m.resource_api_version !== undefined && m.resource_api_version !== 'V3' && m.resource_api_version !== 2) {
    p.add(joinPath(path, 'resource_api_version'), 'only V3 is supported');
  }
  return { initialFetchTimeoutMs: readDurationMs(m.initial_fetch_timeout, joinPath(path, 'initial_fetch_timeout'), p) ?? DEFAULT_INITIAL_FETCH_TIMEOUT_MS };
}

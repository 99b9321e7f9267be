/**
 * Gateway-wide shadow settings that Envoy has no field for, off by default so an Envoy config means
 * exactly what it means in Envoy. They come from the command line (`--shadow-strip-headers`,
 * `--shadow-methods`) or the SHADOWGATE_SHADOW_* environment variables, never from the bootstrap, so
 * the bootstrap stays a plain Envoy v3 document.
 */
import { ShadowgateError } from '../errors';

export interface ShadowOptions {
  /** Lower-cased request headers removed from every shadow copy, after the policy's own mutations. */
  readonly stripHeaders: readonly string[];
  /** Upper-cased methods that may be mirrored; undefined means every method, as in Envoy. */
  readonly methods?: ReadonlySet<string>;
}

/** Raw comma-separated settings as given on the command line or in the environment. */
export interface ShadowOptionsInput {
  stripHeaders?: string;
  methods?: string;
}

export const DEFAULT_SHADOW_OPTIONS: ShadowOptions = Object.freeze({ stripHeaders: Object.freeze([]) as readonly string[] });

export const SHADOW_ENV = { stripHeaders: 'SHADOWGATE_SHADOW_STRIP_HEADERS', methods: 'SHADOWGATE_SHADOW_METHODS' } as const;

/** RFC 9110 §5.6.2 token: what a header name or a method may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function list(raw: string | undefined, what: string): string[] {
  if (raw === undefined) return [];
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    if (!TOKEN.test(item)) throw new ShadowgateError('SG_ERR_CLI_USAGE', `${what}: "${item}" is not a valid token`);
  }
  return items;
}

export function parseShadowOptions(input: ShadowOptionsInput): ShadowOptions {
  const stripHeaders = [...new Set(list(input.stripHeaders, 'shadow strip headers').map((h) => h.toLowerCase()))];
  const methods = list(input.methods, 'shadow methods').map((m) => m.toUpperCase());
  return Object.freeze({
    stripHeaders: Object.freeze(stripHeaders),
    ...(methods.length > 0 ? { methods: new Set(methods) } : {}),
  });
}

/** Command-line values win over the environment, each setting on its own. */
export function resolveShadowOptions(flags: ShadowOptionsInput, env: NodeJS.ProcessEnv): ShadowOptions {
  const stripHeaders = flags.stripHeaders ?? env[SHADOW_ENV.stripHeaders];
  const methods = flags.methods ?? env[SHADOW_ENV.methods];
  return parseShadowOptions({ ...(stripHeaders !== undefined ? { stripHeaders } : {}), ...(methods !== undefined ? { methods } : {}) });
}

/**
 * Validation collects every problem instead of stopping at the first: an operator fixing a config
 * wants the whole list at once. Each problem is `path: message`, the path written the way the field
 * appears in Envoy YAML (`virtual_hosts[0].routes[2].match.safe_regex.regex`).
 */
export interface Problem {
  path: string;
  message: string;
}

export class Problems {
  readonly list: Problem[] = [];
  readonly warnings: Problem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  get ok(): boolean {
    return this.list.length === 0;
  }

  lines(): string[] {
    return this.list.map(formatProblem);
  }
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** Thrown by the loaders when a configuration is rejected; carries every problem. */
export class ConfigError extends Error {
  readonly code = 'SG_ERR_CONFIG_INVALID';
  constructor(readonly problems: Problem[], readonly warnings: Problem[] = []) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

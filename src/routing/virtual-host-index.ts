/**
 * Virtual-host selection by :authority, as Envoy's RouteMatcher::findVirtualHost: exact domain, then the
 * longest suffix wildcard ("*.foo.com"), then the longest prefix wildcard ("foo.*"), then "*". A wildcard
 * must cover at least one character. Built once per route configuration.
 */
export class VirtualHostIndex<T> {
  private readonly exact = new Map<string, T>();
  private readonly suffixes: { suffix: string; value: T }[] = [];
  private readonly prefixes: { prefix: string; value: T }[] = [];
  private fallback: T | undefined;

  constructor(entries: Iterable<{ domains: readonly string[]; value: T }>) {
    for (const { domains, value } of entries) {
      for (const domain of domains) {
        if (domain === '*') this.fallback = value;
        else if (domain.startsWith('*')) this.suffixes.push({ suffix: domain.slice(1), value });
        else if (domain.endsWith('*')) this.prefixes.push({ prefix: domain.slice(0, -1), value });
        else this.exact.set(domain, value);
      }
    }
    // Longest first; a stable sort keeps config order between equal lengths.
    this.suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** `host` must already be lower-case. */
  find(host: string): T | undefined {
    const exact = this.exact.get(host);
    if (exact !== undefined) return exact;
    for (const { suffix, value } of this.suffixes) {
      if (host.length > suffix.length && host.endsWith(suffix)) return value;
    }
    for (const { prefix, value } of this.prefixes) {
      if (host.length > prefix.length && host.startsWith(prefix)) return value;
    }
    return this.fallback;
  }
}

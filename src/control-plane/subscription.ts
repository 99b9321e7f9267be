/**
 * What one stream asked for of one resource type (xDS protocol, "How the client specifies what
 * resources to return"):
 * - `"*"` subscribes to every resource of the type (wildcard), alongside any names.
 * - Legacy wildcard: a stream that has never sent a non-empty name list for the type is a wildcard
 *   subscriber. Once a name was sent, an empty SotW list means "nothing", not "everything".
 * Envoy always subscribes to LDS/CDS by wildcard; gRPC proxyless clients name them.
 */
export const WILDCARD = '*';

export class Subscription {
  wildcard = false;
  readonly names = new Set<string>();
  private everNamed = false;
  private started = false;

  /** SotW: each request carries the complete list and supersedes the previous one. */
  replace(names: readonly string[]): void {
    this.started = true;
    this.names.clear();
    if (names.length === 0) {
      this.wildcard = !this.everNamed;
      return;
    }
    this.everNamed = true;
    this.wildcard = names.includes(WILDCARD);
    for (const n of names) if (n !== WILDCARD) this.names.add(n);
  }

  /**
   * Delta: requests carry changes. On the first request of a type, empty subscribe and unsubscribe
   * lists mean the legacy wildcard. Returns the names newly subscribed by name, which the server
   * must send even if it believes the client has them ("resend" rule of the Delta protocol).
   */
  update(subscribe: readonly string[], unsubscribe: readonly string[]): string[] {
    const first = !this.started;
    this.started = true;
    if (first && subscribe.length === 0 && unsubscribe.length === 0) {
      this.wildcard = true;
      return [];
    }
    const added: string[] = [];
    for (const n of subscribe) {
      if (n === WILDCARD) this.wildcard = true;
      else {
        this.everNamed = true;
        this.names.add(n);
        added.push(n);
      }
    }
    for (const n of unsubscribe) {
      if (n === WILDCARD) this.wildcard = false;
      else this.names.delete(n);
    }
    return added;
  }

  /** True once the stream has said anything about this type. */
  get requested(): boolean {
    return this.started;
  }

  /** True when it currently wants at least something. */
  get active(): boolean {
    return this.wildcard || this.names.size > 0;
  }

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /** For status output: ["*"] and/or the names. */
  describe(): string[] {
    return [...(this.wildcard ? [WILDCARD] : []), ...[...this.names].sort()];
  }
}

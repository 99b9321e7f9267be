/**
 * Counters and gauges named as Envoy names them (`cluster.<name>.upstream_rq_total`,
 * `http.<stat_prefix>.downstream_rq_total`), with the tag Envoy's Prometheus output extracts.
 * Handles are created once (at config time) and bumped on the request path with a field increment.
 */
export interface StatTag {
  /** Name with the tag segment removed, e.g. `cluster.upstream_rq_total`. */
  base: string;
  labels: Record<string, string>;
}

export class Counter {
  value = 0;
  constructor(readonly name: string, readonly tag?: StatTag) {}
  inc(n = 1): void {
    this.value += n;
  }
}

export class Gauge {
  value = 0;
  constructor(readonly name: string, readonly tag?: StatTag) {}
  set(v: number): void {
    this.value = v;
  }
  inc(): void {
    this.value++;
  }
  dec(): void {
    this.value--;
  }
}

/** Envoy's tag extraction for the stats we emit: the segment after these prefixes becomes a label. */
const TAGGED_PREFIXES: [string, string][] = [
  ['cluster.', 'envoy_cluster_name'],
  ['http.', 'envoy_http_conn_manager_prefix'],
  ['listener.', 'envoy_listener_address'],
];

/**
 * Envoy's default response-code extractors (well_known_names.cc): `…_rq_200` → `…_rq` with
 * envoy_response_code="200", `…_rq_2xx` → `…_rq_xx` with envoy_response_code_class="2". They run before
 * the cluster / connection-manager extractor, so their label comes first, as in Envoy's output.
 */
function extractCodeTag(name: string): { name: string; labels: Record<string, string> } {
  const code = /_rq_(\d{3})$/.exec(name);
  if (code) return { name: name.slice(0, code.index + 3), labels: { envoy_response_code: code[1] } };
  const cls = /_rq_(\d)xx$/.exec(name);
  if (cls) return { name: `${name.slice(0, cls.index)}_rq_xx`, labels: { envoy_response_code_class: cls[1] } };
  return { name, labels: {} };
}

function extractTag(fullName: string): StatTag | undefined {
  const { name, labels: codeLabels } = extractCodeTag(fullName);
  for (const [prefix, label] of TAGGED_PREFIXES) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    // Cluster names may contain dots (e.g. outbound|80||svc.ns.svc.cluster.local): the stat is the last segment.
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) return undefined;
    return { base: `${prefix}${rest.slice(dot + 1)}`, labels: { ...codeLabels, [label]: rest.slice(0, dot) } };
  }
  return Object.keys(codeLabels).length > 0 ? { base: name, labels: codeLabels } : undefined;
}

export class StatsStore {
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) {
      c = new Counter(name, extractTag(name));
      this.counters.set(name, c);
    }
    return c;
  }

  gauge(name: string): Gauge {
    let g = this.gauges.get(name);
    if (!g) {
      g = new Gauge(name, extractTag(name));
      this.gauges.set(name, g);
    }
    return g;
  }

  /** Envoy's /stats text: `name: value`, sorted. */
  text(filter?: (name: string) => boolean, usedOnly = false): string {
    const all = [...this.counters.values(), ...this.gauges.values()]
      .filter((s) => (!filter || filter(s.name)) && (!usedOnly || s.value !== 0))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return all.map((s) => `${s.name}: ${s.value}\n`).join('');
  }

  json(filter?: (name: string) => boolean): { stats: { name: string; value: number }[] } {
    const all = [...this.counters.values(), ...this.gauges.values()].filter((s) => !filter || filter(s.name));
    all.sort((a, b) => (a.name < b.name ? -1 : 1));
    return { stats: all.map((s) => ({ name: s.name, value: s.value })) };
  }

  /** Prometheus text format 0.0.4 with Envoy's `envoy_` names and extracted labels. */
  prometheus(): string {
    const families = new Map<string, { type: string; lines: string[] }>();
    const add = (s: Counter | Gauge, type: string): void => {
      const base = s.tag?.base ?? s.name;
      const metric = `envoy_${base.replace(/[^a-zA-Z0-9_]/g, '_')}`;
      const labels = s.tag ? `{${Object.entries(s.tag.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}` : '';
      let family = families.get(metric);
      if (!family) {
        family = { type, lines: [] };
        families.set(metric, family);
      }
      family.lines.push(`${metric}${labels} ${s.value}`);
    };
    for (const c of this.counters.values()) add(c, 'counter');
    for (const g of this.gauges.values()) add(g, 'gauge');
    const names = [...families.keys()].sort();
    return names.map((n) => `# TYPE ${n} ${families.get(n)!.type}\n${families.get(n)!.lines.join('\n')}\n`).join('');
  }
}

/**
 * The xDS client's pure parts: how a response becomes the next resource set (SotW vs Delta rules),
 * composing and labelling problems, warming decisions, and the reconnect back-off.
 */
import t from 'tap';
import { encodeAny } from '../../src/xds/any-codec';
import { nextEntries, ResourceEntry } from '../../src/xds/xds-resources';
import { composeCandidate } from '../../src/xds/xds-compose';
import { WarmingTracker } from '../../src/xds/xds-warming';
import { JitteredBackoff } from '../../src/xds/xds-backoff';
import { buildSnapshot } from '../../src/config/snapshot';
import { XdsUpdate } from '../../src/xds/xds-update';
import { CDS, EDS, LDS, RDS, cla, edsCluster, rdsListener, routes, toCluster } from './ads-fixtures';
import type { ResourceTypeUrl } from '../../src/xds/type-urls';

const at = new Date(0);

function update(typeUrl: ResourceTypeUrl, protocol: 'sotw' | 'delta', resources: object[], extra: Partial<XdsUpdate> = {}): XdsUpdate {
  return {
    typeUrl,
    protocol,
    versionInfo: '2',
    nonce: 'n',
    resources: resources.map((r) => ({ any: encodeAny(r as Record<string, unknown>, typeUrl), ...(protocol === 'delta' ? { name: String((r as any).name ?? (r as any).cluster_name), version: 'd2' } : {}) })),
    removed: [],
    ...extra,
  };
}

function entries(typeUrl: ResourceTypeUrl, list: object[]): Map<string, ResourceEntry> {
  return new Map(list.map((json: any) => {
    const name = typeUrl === EDS ? json.cluster_name : json.name;
    return [name, { name, version: '1', lastUpdated: at, json }];
  }));
}

const ALL = { wildcard: true, names: new Set<string>() };

t.test('SotW: a CDS response is the whole state; absent clusters are deleted', async (t) => {
  const current = entries(CDS, [edsCluster('a'), edsCluster('b')]);
  const next = nextEntries(update(CDS, 'sotw', [edsCluster('a')]), current, ALL, new Date(1));
  if ('errors' in next) throw new Error(next.errors.join());
  t.same([...next.entries.keys()], ['a']);
  t.equal(next.entries.get('a'), current.get('a'), 'an unchanged cluster keeps its version and update time');
});

t.test('SotW: an RDS response replaces only what it names; unrequested names are ignored', async (t) => {
  const current = entries(RDS, [routes('r1', []), routes('r2', [])]);
  const sub = { wildcard: false, names: new Set(['r1', 'r2']) };
  const next = nextEntries(update(RDS, 'sotw', [routes('r2', [toCluster('/', 'x')]), routes('other', [])]), current, sub, new Date(1));
  if ('errors' in next) throw new Error(next.errors.join());
  t.same([...next.entries.keys()].sort(), ['r1', 'r2']);
  t.equal(next.entries.get('r2')?.version, '2');
  t.same(next.ignored, ['other']);
});

t.test('Delta: removed_resources deletes; a subscribed RDS/EDS name becomes empty, as Envoy treats it', async (t) => {
  const lds = nextEntries(update(LDS, 'delta', [], { removed: ['l1'] }), entries(LDS, [rdsListener('l1', 'r')]), ALL, at);
  if ('errors' in lds) throw new Error(lds.errors.join());
  t.equal(lds.entries.size, 0);
  const eds = nextEntries(update(EDS, 'delta', [], { removed: ['c1'] }), entries(EDS, [cla('c1', [80])]), { wildcard: false, names: new Set(['c1']) }, at);
  if ('errors' in eds) throw new Error(eds.errors.join());
  t.same(eds.entries.get('c1')?.json, { cluster_name: 'c1' }, 'no endpoints left');
  const composed = composeCandidate({ listeners: [], clusters: [] }, new Map([[CDS, entries(CDS, [edsCluster('c1')])], [EDS, eds.entries]]));
  t.ok('snapshot' in composed, 'the empty CLA is valid');
  if ('snapshot' in composed) t.same(composed.snapshot.clusters.get('c1')?.endpoints, []);
});

t.test('Delta: resource versions come from Resource.version; a heartbeat changes nothing', async (t) => {
  const current = entries(CDS, [edsCluster('a')]);
  const u = update(CDS, 'delta', [edsCluster('b')]);
  u.resources.push({ name: 'a', version: '1' });
  const next = nextEntries(u, current, ALL, at);
  if ('errors' in next) throw new Error(next.errors.join());
  t.equal(next.entries.get('b')?.version, 'd2');
  t.equal(next.entries.get('a'), current.get('a'));
});

t.test('responses are NACKed for duplicates, wrong types, missing names, name mismatches', async (t) => {
  const dup = nextEntries(update(CDS, 'sotw', [edsCluster('a'), edsCluster('a')]), new Map(), ALL, at);
  t.match('errors' in dup && dup.errors, [/resources\[1\]: duplicate Cluster name "a" in one response/]);
  const wrong = nextEntries({ ...update(LDS, 'sotw', []), resources: [{ any: encodeAny(edsCluster('a') as Record<string, unknown>, CDS) }] }, new Map(), ALL, at);
  t.match('errors' in wrong && wrong.errors, [/type URL .*Cluster" in a LDS response/]);
  const unnamed = nextEntries(update(CDS, 'sotw', [{ type: 'STATIC' }]), new Map(), ALL, at);
  t.match('errors' in unnamed && unnamed.errors, [/Cluster name: is required/]);
  const u = update(CDS, 'delta', [edsCluster('a')]);
  u.resources[0].name = 'b';
  const mismatch = nextEntries(u, new Map(), ALL, at);
  t.match('errors' in mismatch && mismatch.errors, [/Resource\.name "b" does not match the Cluster name "a"/]);
});

t.test('problems are labelled with the resource they belong to', async (t) => {
  const bad = { ...(edsCluster('c1') as object), connect_timeout: '0s' };
  const composed = composeCandidate({ listeners: [], clusters: [{ name: 'static_one', type: 'STATIC', connect_timeout: 'x' }] }, new Map([[CDS, entries(CDS, [bad])]]));
  t.ok('problems' in composed);
  if ('problems' in composed) {
    t.match(composed.problems, [/^static_resources\.clusters\[0\]\.connect_timeout: /, /^Cluster "c1": connect_timeout: must be greater than 0s/]);
  }
  const clash = composeCandidate({ listeners: [], clusters: [edsCluster('same')] }, new Map([[CDS, entries(CDS, [edsCluster('same')])]]));
  t.match('problems' in clash && clash.problems, [/^Cluster "same": (name: )?duplicate cluster name "same"/], 'a dynamic cluster cannot replace a static one');
});

t.test('warming: an updated listener waiting for its new RDS keeps serving its previous version', async (t) => {
  let deadlines = 0;
  let now = 0;
  const tracker = new WarmingTracker(() => deadlines++, 15_000, () => now);
  t.teardown(() => tracker.close());
  const before = buildSnapshot({ listeners: [rdsListener('l', 'old')], routes: [routes('old', [])] });
  const after = buildSnapshot({ listeners: [rdsListener('l', 'new', { initialFetchTimeout: '1s' })], routes: [routes('old', [])] });
  const s = tracker.servable(after, before);
  t.same(s.warmingListeners, ['l']);
  t.equal(s.snapshot.listeners[0], before.listeners[0], 'the old version serves');
  now = 1_000;
  const late = tracker.servable(after, s.snapshot);
  t.same(late.warmingListeners, [], 'after initial_fetch_timeout the new version serves without routes');
  t.equal(late.snapshot.listeners[0], after.listeners[0]);
  t.same(late.timedOut, ['listener l (route new)']);
});

t.test('warming: a new EDS cluster is left out until its CLA; initial_fetch_timeout 0 waits forever', async (t) => {
  let now = 0;
  const tracker = new WarmingTracker(() => undefined, 0, () => now);
  t.teardown(() => tracker.close());
  const empty = buildSnapshot({});
  const cold = buildSnapshot({ clusters: [edsCluster('c')] });
  const s = tracker.servable(cold, empty);
  t.same(s.warmingClusters, ['c']);
  t.notOk(s.snapshot.clusters.has('c'));
  now = 1e9;
  t.same(tracker.servable(cold, s.snapshot).warmingClusters, ['c'], 'timeout 0 disables the deadline');
  const warm = buildSnapshot({ clusters: [edsCluster('c')], endpoints: [cla('c', [80])] });
  t.ok(tracker.servable(warm, s.snapshot).snapshot.clusters.has('c'));
});

t.test('back-off doubles with jitter up to the ceiling and resets after a healthy stream', async (t) => {
  const low = new JitteredBackoff(100, 1_000, () => 0);
  t.same([low.next(), low.next(), low.next(), low.next(), low.next(), low.next()], [50, 100, 200, 400, 500, 500]);
  low.reset();
  t.equal(low.next(), 50);
  const high = new JitteredBackoff(100, 30_000, () => 0.999);
  const delays = Array.from({ length: 20 }, () => high.next());
  t.ok(delays.every((d) => d <= 30_000), 'never above the ceiling');
  t.equal(delays[0], 100);
});

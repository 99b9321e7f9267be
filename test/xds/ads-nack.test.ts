/**
 * NACKs, both protocol variants: each kind of invalid resource is answered with error_detail
 * {code: 3 INVALID_ARGUMENT, message naming the resource and field}, the rejected version is not
 * ACKed, traffic keeps flowing on the previous config, the rejection shows in /config_dump's
 * error_state and in update_rejected, and the next good update clears it.
 */
import t from 'tap';
import type { Test } from 'tap';
import { encodeAny } from '../../src/xds/any-codec';
import {
  CDS, EDS, LDS, MODES, RDS, cla, configDump, edsCluster, hit, isNack, pushAndWait, rdsListener, routes, stat, startWorld, toCluster,
} from './ads-fixtures';
import type { World } from './ads-fixtures';
import type { RecordedRequest } from '../helpers/ads-test-server';

const LUA = { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', value: '' } };

interface NackCase {
  name: string;
  typeUrl: string;
  resources(w: World): object[];
  expect: RegExp;
  /** Stat counting the rejection. */
  stat: string;
  /** ConfigDump section whose error_state shows it (EDS is only dumped with ?include_eds). */
  dump?: string;
}

const CASES: NackCase[] = [
  {
    name: 'bad listener (HCM without stat_prefix)',
    typeUrl: LDS,
    resources: () => {
      const bad = rdsListener('bad', 'main') as any;
      delete bad.filter_chains[0].filters[0].typed_config.stat_prefix;
      return [rdsListener('ingress', 'main'), bad];
    },
    expect: /Listener "bad": filter_chains\[0\]\.filters\[0\]\.typed_config\.stat_prefix: is required/,
    stat: 'listener_manager.lds.update_rejected',
    dump: 'ListenersConfigDump',
  },
  {
    name: 'unknown non-optional HTTP filter',
    typeUrl: LDS,
    resources: () => [rdsListener('ingress', 'main', { filters: [LUA] })],
    expect: /Listener "ingress": .*http_filters\[0\]\.typed_config: Didn't find a registered implementation for 'envoy\.filters\.http\.lua'/,
    stat: 'listener_manager.lds.update_rejected',
    dump: 'ListenersConfigDump',
  },
  {
    name: 'bad route regex',
    typeUrl: RDS,
    resources: () => [routes('main', [{ match: { safe_regex: { regex: '/api/([' } }, route: { cluster: 'v2' } }, toCluster('/', 'v1')])],
    expect: /RouteConfiguration "main": virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex/,
    stat: 'http.ingress.rds.main.update_rejected',
    dump: 'RoutesConfigDump',
  },
  {
    name: 'bad cluster (connect_timeout 0s)',
    typeUrl: CDS,
    resources: () => [edsCluster('v1'), edsCluster('v2', { connect_timeout: '0s' })],
    expect: /Cluster "v2": connect_timeout: must be greater than 0s/,
    stat: 'cluster_manager.cds.update_rejected',
    dump: 'ClustersConfigDump',
  },
  {
    name: 'duplicate cluster names in one response',
    typeUrl: CDS,
    resources: () => [edsCluster('v1'), edsCluster('v2'), edsCluster('v2', { connect_timeout: '2s' })],
    expect: /duplicate Cluster name "v2"/,
    stat: 'cluster_manager.cds.update_rejected',
    dump: 'ClustersConfigDump',
  },
  {
    name: 'bad ClusterLoadAssignment (endpoint without port)',
    typeUrl: EDS,
    resources: (w) => [cla('v1', [0]), cla('v2', [w.v2.port])],
    expect: /ClusterLoadAssignment "v1": endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.port_value: is required/,
    stat: 'cluster.v1.update_rejected',
  },
];

/** The last version this client ACKed for a type (SotW carries it on every request). */
function lastAckedVersion(w: World, typeUrl: string): string {
  const acks = w.ads.requests.filter((q) => q.typeUrl === typeUrl && q.msg.response_nonce && !isNack(q));
  return acks[acks.length - 1]?.msg.version_info ?? '';
}

function checkNack(t: Test, reply: RecordedRequest, expect: RegExp): void {
  t.ok(isNack(reply), 'NACK');
  t.equal(reply.msg.error_detail?.code, 3, 'INVALID_ARGUMENT');
  t.match(reply.msg.error_detail?.message, expect, 'error_detail names the problem');
}

for (const mode of MODES) {
  t.test(`${mode}: every kind of invalid resource is NACKed and the last good config keeps serving`, async (t) => {
    const w = await startWorld(mode);
    t.teardown(() => w.close());
    t.equal((await hit(w.url('/'))).upstream, 'v1');
    for (const [i, c] of CASES.entries()) {
      await t.test(c.name, async (t) => {
        const previous = lastAckedVersion(w, c.typeUrl);
        const before = (await stat(w.gw.adminUrl, c.stat)) ?? 0;
        const version = `bad-${i}`;
        const { reply } = await pushAndWait(w.ads, c.typeUrl, c.resources(w), version);
        checkNack(t, reply, c.expect);
        if (mode === 'sotw') t.equal(reply.msg.version_info ?? '', previous, `version_info stays the last accepted one ("${previous}")`);
        t.same(await hit(w.url('/')), { status: 200, upstream: 'v1' }, 'traffic flows on the previous config');
        t.equal(await stat(w.gw.adminUrl, c.stat), before + 1, c.stat);
        const failure = Object.values(w.gw.handle.gateway.describe.dynamic?.errors ?? {}).find((e) => e?.version === version);
        t.match(failure?.details, c.expect, 'the rejection is kept for /config_dump');
        if (c.dump) {
          const section = (await configDump(w.gw.adminUrl)).find((d) => d['@type'].endsWith(c.dump!))!;
          t.match(section.error_state, { version_info: version, details: c.expect, last_update_attempt: String });
        }
      });
    }

    await t.test('a response whose resource has another type is NACKed', async (t) => {
      const sent = w.ads.setAnys(LDS, [{ name: 'v1', any: encodeAny(edsCluster('v1') as Record<string, unknown>, CDS) }], 'wrong-type');
      const reply = await w.ads.waitForReply(sent[0]);
      checkNack(t, reply, /resources\[0\]: type URL "type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster" in a LDS response/);
      t.equal((await hit(w.url('/'))).upstream, 'v1');
    });

    await t.test('an optional unknown filter is skipped and the update ACKed', async (t) => {
      const optional = { ...LUA, is_optional: true };
      const { reply } = await pushAndWait(w.ads, LDS, [rdsListener('ingress', 'main', { filters: [optional] })], 'optional-filter');
      t.notOk(isNack(reply), 'ACK');
      if (mode === 'sotw') t.equal(reply.msg.version_info, 'optional-filter');
      t.equal((await hit(w.url('/'))).upstream, 'v1');
    });

    await t.test('the next good update is ACKed and clears error_state', async (t) => {
      const { reply } = await pushAndWait(w.ads, CDS, [edsCluster('v1'), edsCluster('v2')], 'good-cds');
      t.notOk(isNack(reply));
      const clusters = (await configDump(w.gw.adminUrl)).find((d) => d['@type'].endsWith('ClustersConfigDump'))!;
      t.equal(clusters.error_state, undefined);
      const { reply: rds } = await pushAndWait(w.ads, RDS, [routes('main', [toCluster('/', 'v2')])], 'good-rds');
      t.notOk(isNack(rds));
      t.equal((await hit(w.url('/'))).upstream, 'v2');
    });
  });
}

import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { SnapshotStore } from '../../src/control-plane/snapshot-store';
import { AtomicStep } from '../../src/control-plane/atomic-file';
import { readPushDocument } from '../../src/control-plane/push-document';
import { ResourceLists } from '../../src/control-plane/resource-kinds';
import { startControlPlane } from '../../src/control-plane/control-plane-server';
import { CDS, EDS, LDS, RDS, client, names, node, pushDoc, sampleConfig, sotw, startCp, tempDir, until } from './helpers';

const lists = (doc: object): ResourceLists => readPushDocument(doc).lists as ResourceLists;

t.test('a restarted control plane serves the same versions; a reconnecting wildcard client gets no change', async (t) => {
  const dataDir = tempDir(t);
  const cp1 = await startCp(t, { dataDir });
  const c1 = await client(t, cp1);
  await pushDoc(c1, sampleConfig({ clusters: ['v1'] }));
  await pushDoc(c1, sampleConfig({ clusters: ['v1', 'v2'] }));
  const before = await c1.call<{ groups: { type_versions: Record<string, string> }[] }>('Status', {});
  t.same(before.groups[0].type_versions, { CDS: '2', EDS: '2', LDS: '1', RDS: '1' }, 'per-type versions: LDS/RDS did not change in version 2');
  await cp1.close();

  const cp2 = await startCp(t, { dataDir });
  const c2 = await client(t, cp2);
  const after = await c2.call<{ version: string; groups: { type_versions: Record<string, string> }[] }>('Status', {});
  t.equal(after.version, '2');
  t.same(after.groups[0].type_versions, before.groups[0].type_versions, 'same version_info strings after restart');

  // An Envoy-like client reconnecting: wildcard LDS/CDS at the current versions → no response;
  // named RDS/EDS are answered with the same versions (we cannot know which names it holds).
  const ads = sotw(t, cp2.address);
  ads.send({ node: node('gw'), type_url: CDS, version_info: '2' });
  ads.send({ type_url: LDS, version_info: '1' });
  ads.send({ type_url: EDS, version_info: '2', resource_names: ['v1', 'v2'] });
  const eds = await ads.next(EDS);
  t.equal(eds.version_info, '2');
  ads.send({ type_url: RDS, version_info: '1', resource_names: ['main'] });
  const rds = await ads.next(RDS);
  t.equal(rds.version_info, '1');
  ads.send({ type_url: RDS, version_info: '1', resource_names: ['main'], response_nonce: rds.nonce });
  t.notOk(ads.received.some((r) => r.type_url === CDS || r.type_url === LDS), 'wildcard types at the current version are not resent');
  ads.send({ type_url: EDS, version_info: '2', resource_names: ['v1', 'v2'], response_nonce: eds.nonce });
  const status = await until(async () => {
    const s = await c2.call<{ gateways: { state: string }[] }>('Status', {});
    return s.gateways[0]?.state === 'SYNCED' ? s : undefined;
  }, 5_000, 'SYNCED');
  t.ok(status);
  // A client that is behind gets the current version.
  const behind = sotw(t, cp2.address);
  behind.send({ node: node('old'), type_url: CDS, version_info: '1' });
  const r = await behind.next(CDS);
  t.equal(r.version_info, '2');
  t.same(names(r), ['v1', 'v2']);
});

t.test('history and rollback: a rollback is a new version with the old configuration', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1'] }), { description: 'first' });
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'v2'], route: 'v2' }), { description: 'canary' });
  const ads = sotw(t, cp.address);
  ads.send({ node: node('gw'), type_url: CDS });
  const cds2 = await ads.next(CDS);
  t.same(names(cds2), ['v1', 'v2']);
  ads.send({ type_url: CDS, version_info: cds2.version_info, response_nonce: cds2.nonce });

  const rb = await c.call<{ version: string; changed: boolean }>('Rollback', { to_version: '1' });
  t.match(rb, { version: '3', changed: true });
  const cds3 = await ads.next(CDS);
  t.equal(cds3.version_info, '3');
  t.same(names(cds3), ['v1']);
  const history = await c.call<{ versions: { version: string; action: string; description: string; rolled_back_to: string }[] }>('History', {});
  t.same(history.versions.map((v) => [v.version, v.action, v.description, v.rolled_back_to]), [
    ['3', 'rollback', 'rollback to 1', '1'],
    ['2', 'push', 'canary', ''],
    ['1', 'push', 'first', ''],
  ]);
  const missing = await c.call('Rollback', { to_version: '42' }).catch((e: { code: number; details: string }) => e);
  t.match(missing, { code: 5, details: /version 42 is not in the history/ });
  const noop = await c.call<{ changed: boolean; version: string }>('Rollback', { to_version: '3' });
  t.match(noop, { changed: false, version: '3' }, 'rolling back to what is served changes nothing');
});

t.test('only --keep-versions versions are kept', async (t) => {
  const dir = tempDir(t);
  const store = await SnapshotStore.open(dir, { keepVersions: 2 });
  for (const c of ['a', 'b', 'c']) await store.push({ full: lists(sampleConfig({ clusters: [c] })), group: '' });
  t.same(store.history().map((m) => m.version), [3, 2]);
  t.same(fs.readdirSync(path.join(dir, 'versions')).sort(), ['v000000000002.json', 'v000000000003.json']);
});

for (const step of ['write', 'fsync-file', 'rename', 'fsync-dir'] as AtomicStep[]) {
  t.test(`a crash before "${step}" leaves the old or the new version, never a broken store`, async (t) => {
    const dir = tempDir(t);
    let crashAt: AtomicStep | undefined;
    const store = await SnapshotStore.open(dir, {
      writeOptions: {
        beforeStep: async (s, temp) => {
          if (s !== crashAt) return;
          // Frozen forever: like a killed process, nothing after this point runs (no cleanup).
          if (s === 'fsync-file') fs.truncateSync(temp, Math.floor(fs.statSync(temp).size / 2));
          await new Promise(() => undefined);
        },
      },
    });
    await store.push({ full: lists(sampleConfig({ clusters: ['old'] })), group: '' });
    crashAt = step;
    void store.push({ full: lists(sampleConfig({ clusters: ['new'] })), group: '' });
    await until(() => {
      const files = fs.readdirSync(path.join(dir, 'versions'));
      return step === 'write' ? true : step === 'fsync-dir' ? files.includes('v000000000002.json') : files.some((f) => f.startsWith('.tmp-'));
    }, 5_000, `the write to reach ${step}`);
    const restarted = await SnapshotStore.open(dir);
    const expected = step === 'fsync-dir' ? { version: 2, cluster: 'new' } : { version: 1, cluster: 'old' };
    t.equal(restarted.version, expected.version);
    t.same([...restarted.effective('')!.encoded.clusters.keys()], [expected.cluster]);
    t.notOk(fs.readdirSync(path.join(dir, 'versions')).some((f) => f.startsWith('.tmp-')), 'temp files swept at start');
  });
}

t.test('a corrupted version file is detected, not served', async (t) => {
  const dir = tempDir(t);
  const store = await SnapshotStore.open(dir);
  await store.push({ full: lists(sampleConfig()), group: '' });
  const file = path.join(dir, 'versions', 'v000000000001.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"v1"', '"v9"'));
  await t.rejects(SnapshotStore.open(dir), /checksum mismatch/);
});

t.test('without a token the control plane generates one, mode 0600, and reuses it after a restart', async (t) => {
  const dataDir = tempDir(t);
  const logger = pino({ level: 'silent' });
  const saved = process.env.SHADOWGATE_TOKEN;
  delete process.env.SHADOWGATE_TOKEN;
  t.teardown(() => {
    if (saved !== undefined) process.env.SHADOWGATE_TOKEN = saved;
  });
  const a = await startControlPlane({ listen: '127.0.0.1:0', dataDir, logger });
  await a.close();
  t.equal(a.tokenGenerated, true);
  const file = path.join(dataDir, 'token');
  t.equal(fs.statSync(file).mode & 0o777, 0o600);
  t.equal(fs.readFileSync(file, 'utf8').trim(), a.token);
  t.ok(a.token.length >= 40, 'a 256-bit token');
  const b = await startControlPlane({ listen: '127.0.0.1:0', dataDir, logger });
  await b.close();
  t.equal(b.token, a.token);
  t.equal(b.tokenGenerated, false);
});

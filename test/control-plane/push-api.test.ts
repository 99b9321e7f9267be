/**
 * The push API: validation levels, dry runs and changes, optimistic concurrency, authentication,
 * Validate and Watch, and TLS / mutual TLS on the shared port.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { ControlClient, errorProblems } from '../../src/cli/control-client';
import { controlService } from '../../src/control-plane/control-proto';
import { isUnsupportedProblem } from '../../src/control-plane/push-validation';
import { adsService, findType } from '../../src/xds/protos';
import { CDS, RawAds, SotwResponse, client, edsCluster, cla, listener, names, node, pushDoc, routeConfig, sampleConfig, sotw, startCp, tempDir } from './helpers';

type Err = grpc.ServiceError;

async function rejected(p: Promise<unknown>): Promise<Err> {
  try {
    await p;
  } catch (err) {
    return err as Err;
  }
  throw new Error('expected the call to fail');
}

t.test('an invalid push is refused with INVALID_ARGUMENT naming every problem, before any gateway sees it', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig());
  const ads = sotw(t, cp.address);
  ads.send({ node: node('gw'), type_url: CDS });
  const first = await ads.next(CDS);
  ads.send({ type_url: CDS, version_info: first.version_info, response_nonce: first.nonce });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const bad: any = {
    listeners: [listener('ingress', 'main')],
    routes: [{ name: 'main', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [
      { match: { safe_regex: { regex: '(' } }, route: { cluster: 'v1' } },
      { match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'v1', weight: 0 }] } } },
    ] }], validate_clusters: true }],
    clusters: [edsCluster('v1'), { name: 'v9', type: 'STATIC', connect_timeout: 'soon' }],
    endpoints: [cla('v1', [1])],
  };
  // Level 1 (Envoy's proto): the bad duration.
  let err = await rejected(pushDoc(c, bad));
  t.equal(err.code, grpc.status.INVALID_ARGUMENT);
  t.match(err.details, /clusters\[1\]\.connect_timeout: not a valid Envoy v3 resource/);

  // Level 2 (the gateway's validation): every problem with its path.
  bad.clusters[1].connect_timeout = '1s';
  bad.routes[0].virtual_hosts[0].routes.push({ match: { prefix: '/x' }, route: { cluster: 'missing' } });
  err = await rejected(pushDoc(c, bad));
  t.equal(err.code, grpc.status.INVALID_ARGUMENT);
  t.match(err.details, /routes\[0\]\.virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex: /);
  t.match(err.details, /routes\[0\]\.virtual_hosts\[0\]\.routes\[1\]\.route\.weighted_clusters: Sum of weights in the weighted_cluster must be greater than 0/);
  t.match(err.details, /routes\[0\]\.virtual_hosts\[0\]\.routes\[2\]\.route\.cluster: route: unknown cluster 'missing'/);
  const structured = errorProblems(err);
  t.ok(structured && structured.problems.length >= 3, 'problems also come as structured trailing metadata');

  // A document error (YAML syntax) names the line.
  err = await rejected(c.call('Push', { full: { text: 'listeners: [\n  {name: x', source: 'broken.yaml' } }));
  t.equal(err.code, grpc.status.INVALID_ARGUMENT);
  t.match(err.details, /broken\.yaml:\d+:\d+: invalid YAML/);

  // JSON takes a fast path (JSON.parse) but keeps the YAML parser's rule: no duplicate keys.
  err = await rejected(c.call('Push', { full: { text: '{"clusters": [{"name": "a",\n "name": "b"}]}', source: 'dup.json' } }));
  t.match(err.details, /dup\.json:2: duplicate key "name"/);
  const viaJson = await c.call<{ valid: boolean }>('Validate', { config: { text: JSON.stringify(sampleConfig()) } });
  t.equal(viaJson.valid, true, 'JSON documents validate like YAML ones');

  const status = await c.call<{ version: string }>('Status', {});
  t.equal(status.version, '1', 'nothing was accepted');
  t.ok(await ads.silentFor(100), 'the gateway saw nothing');
});

t.test('valid Envoy that shadowgate does not implement is accepted with warnings', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  const doc = sampleConfig();
  (doc.clusters[0] as Record<string, unknown>).lb_policy = 'MAGLEV';
  const res = await pushDoc(c, doc);
  t.equal(res.version, '1');
  t.match(res.warnings?.[0], { path: 'clusters[0].lb_policy', message: /MAGLEV is not supported by shadowgate yet.*shadowgate gateways will NACK/ });
  // A field outside Envoy's proto is still refused.
  (doc.clusters[0] as Record<string, unknown>).lb_polciy = 'RANDOM';
  const err = await rejected(pushDoc(c, doc));
  t.equal(err.code, grpc.status.INVALID_ARGUMENT);
  t.match(err.details, /clusters\[0\]\.lb_polciy/);
});

t.test('the verdict is per resource: an Envoy feature we do not implement makes that resource a warning', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  const doc = sampleConfig();
  // A Unix-socket listener: valid Envoy; src/config reports "pipe" as unsupported and then, as a
  // consequence, the missing socket_address. Both are warnings about that one listener.
  doc.listeners.push({ name: 'uds', address: { pipe: { path: '/run/sg.sock' } }, filter_chains: (doc.listeners[0] as { filter_chains: object[] }).filter_chains });
  const res = await pushDoc(c, doc);
  t.equal(res.version, '1');
  t.ok(res.warnings?.some((w) => w.path === 'listeners[1].address.pipe'));
  t.ok(res.warnings?.some((w) => w.path.startsWith('listeners[1].address.socket_address')), 'its consequences are warnings too');
  // A genuine error in another resource is still an error.
  (doc.routes[0] as { virtual_hosts: { routes: object[] }[] }).virtual_hosts[0].routes.unshift({ match: { safe_regex: { regex: '(' } }, route: { cluster: 'v1' } });
  const err = await rejected(pushDoc(c, doc));
  t.equal(err.code, grpc.status.INVALID_ARGUMENT);
  t.match(err.details, /routes\[0\]\.virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex/);
  t.notMatch(err.details, /listeners\[1\]/, 'the unjudged listener is not listed as an error');
});

t.test('a gRPC proxyless api_listener is accepted with a warning', { skip: findType('envoy.config.listener.v3.Listener')?.fields.api_listener ? false : 'protos/envoy/config/listener/v3/listener.proto does not declare api_listener (field 19) yet' }, async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  const doc = sampleConfig();
  doc.listeners.push({
    name: 'grpc-service.example:443',
    api_listener: { api_listener: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'grpc', rds: { route_config_name: 'main', config_source: { ads: {}, resource_api_version: 'V3' } }, http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }] } },
  });
  const res = await pushDoc(c, doc);
  t.equal(res.changed, true);
  t.ok(res.warnings?.some((w) => w.path === 'listeners[1].api_listener'));
});

t.test('the "unsupported" classification matches the messages src/config uses', async (t) => {
  for (const message of [
    'field is not supported by shadowgate yet',
    'MAGLEV is not supported by shadowgate yet (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)',
    'only TCP is supported',
    'exactly one filter chain is supported, got 2',
    'only AUTO and HTTP1 are supported (the listener speaks HTTP/1.1)',
    'only ads: {} config sources are supported',
    'unknown field',
  ]) t.ok(isUnsupportedProblem({ path: 'x', message }), message);
  for (const message of [
    "route: unknown cluster 'x'",
    'Sum of weights in the weighted_cluster must be greater than 0.',
    'only one of rds, route_config may be set',
    'duplicate cluster name "a"',
  ]) t.notOk(isUnsupportedProblem({ path: 'x', message }), message);
});

t.test('dry run, no-op pushes and changes (upsert/delete)', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  const dry = await pushDoc(c, sampleConfig(), { dry_run: true });
  t.match(dry, { version: '1', changed: true, dry_run: true });
  t.equal((await c.call<{ version: string }>('Status', {})).version, '0', 'dry run stored nothing');
  t.equal((await pushDoc(c, sampleConfig())).version, '1');
  const same = await pushDoc(c, sampleConfig());
  t.match(same, { version: '1', changed: false }, 'identical config: no new version');

  const upsert = { clusters: [edsCluster('v2')], endpoints: [cla('v2', [2])], routes: [routeConfig('main', ['v2'])] };
  const changed = await c.call<{ version: string; groups: { changed_types: string[] }[] }>('Push', { change: { upsert: { text: stringify(upsert) } } });
  t.equal(changed.version, '2');
  t.same(changed.groups[0].changed_types.sort(), ['CDS', 'EDS', 'RDS']);
  const deleted = await c.call<{ version: string }>('Push', { change: { delete: { clusters: ['v1'], endpoints: ['v1'] } } });
  t.equal(deleted.version, '3');
  // Envoy accepts an RDS route naming a missing cluster (503 at request time); the push says so.
  const dangling = await c.call<{ version: string; warnings: { path: string; message: string }[] }>('Push', { change: { delete: { clusters: ['v2'], endpoints: ['v2'] } }, dry_run: true });
  t.match(dangling.warnings, [{ path: 'routes[0]', message: /names cluster "v2", which this configuration does not define/ }]);
  const typo = await rejected(c.call('Push', { change: { delete: { clusters: ['nope'] } } }));
  t.match(typo.details, /delete\.clusters\[0\]: no clusters resource named "nope"/);
});

t.test('expected_version: of two concurrent pushes, exactly one wins and the other is told the current version', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig());
  const results = await Promise.allSettled([
    pushDoc(c, sampleConfig({ clusters: ['a'] }), { expected_version: '1' }),
    pushDoc(c, sampleConfig({ clusters: ['b'] }), { expected_version: '1' }),
  ]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.equal(won.length, 1);
  t.equal(lost.length, 1);
  t.equal((lost[0].reason as Err).code, grpc.status.FAILED_PRECONDITION);
  t.match((lost[0].reason as Err).details, /expected version 1, but the current version is 2/);
  t.equal((await c.call<{ version: string }>('Status', {})).version, '2');
});

t.test('auth: no token or a wrong token gets UNAUTHENTICATED and changes nothing', async (t) => {
  const cp = await startCp(t);
  const good = await client(t, cp);
  await pushDoc(good, sampleConfig());
  const dir = tempDir(t);
  const wrongFile = path.join(dir, 'wrong');
  fs.writeFileSync(wrongFile, 'not-the-token');
  const wrong = await client(t, cp, wrongFile);
  for (const method of ['Push', 'Validate', 'Status', 'History', 'Rollback']) {
    const err = await rejected(wrong.call(method, { full: { text: stringify(sampleConfig({ clusters: ['evil'] })) }, to_version: '1' }));
    t.equal(err.code, grpc.status.UNAUTHENTICATED, `${method} with a wrong token`);
  }
  const { Client } = controlService();
  const raw = new Client(cp.address, grpc.credentials.createInsecure()) as unknown as Record<string, (req: object, cb: (err: Err | null) => void) => void> & grpc.Client;
  t.teardown(() => raw.close());
  const noToken = await new Promise<Err | null>((resolve) => raw.Push({ full: { text: stringify(sampleConfig({ clusters: ['evil'] })) } }, resolve));
  t.equal(noToken?.code, grpc.status.UNAUTHENTICATED, 'no token');
  const watch = (wrong as unknown as { watch: ControlClient['watch'] }).watch({});
  const watchErr = await new Promise<Err>((resolve) => watch.on('error', resolve));
  t.equal(watchErr.code, grpc.status.UNAUTHENTICATED, 'Watch with a wrong token');
  const status = await good.call<{ version: string }>('Status', {});
  t.equal(status.version, '1', 'nothing changed');
  // ADS needs no token.
  const ads = sotw(t, cp.address);
  ads.send({ node: node('gw'), type_url: CDS });
  t.same(names(await ads.next(CDS)), ['v1']);
});

t.test('Validate answers problems without changing anything; Watch streams a snapshot then changes', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  const invalid = await c.call<{ valid: boolean; problems: { path: string }[] }>('Validate', { config: { text: stringify({ routes: [routeConfig('main', ['nowhere'])], listeners: [listener('l', 'other')] }) } });
  t.equal(invalid.valid, false);
  t.ok(invalid.problems.some((p) => p.path.includes('rds.route_config_name')), 'a listener naming a route configuration that is not pushed');
  const valid = await c.call<{ valid: boolean; counts: { clusters: number } }>('Validate', { config: { text: stringify(sampleConfig()) } });
  t.equal(valid.valid, true);
  t.equal(valid.counts.clusters, 1);

  const events: { kind: string }[] = [];
  const watch = c.watch({});
  t.teardown(() => watch.cancel());
  watch.on('error', () => undefined);
  watch.on('data', (e: { kind: string }) => events.push(e));
  await pushDoc(c, sampleConfig());
  const ads = sotw(t, cp.address);
  ads.send({ node: node('gw-w'), type_url: CDS });
  const r = await ads.next(CDS);
  ads.send({ type_url: CDS, version_info: r.version_info, response_nonce: r.nonce });
  const start = Date.now();
  while (!events.some((e) => e.kind === 'GATEWAY_UPDATED') && Date.now() - start < 5_000) await new Promise((res) => setTimeout(res, 20));
  t.equal(events[0].kind, 'SNAPSHOT');
  t.ok(events.some((e) => e.kind === 'VERSION_CHANGED'));
  t.ok(events.some((e) => e.kind === 'GATEWAY_CONNECTED'));
  t.ok(events.some((e) => e.kind === 'GATEWAY_UPDATED'));
});

t.test('a change to all gateways is applied to every group\'s own configuration', async (t) => {
  const cp = await startCp(t);
  const c = await client(t, cp);
  await pushDoc(c, sampleConfig({ clusters: ['v1'] }));
  await pushDoc(c, sampleConfig({ clusters: ['v1', 'c1'], route: 'c1' }), { group: 'canary' });
  const res = await c.call<{ version: string; groups: { group: string; changed_types: string[] }[] }>('Push', { change: { upsert: { text: stringify({ clusters: [edsCluster('extra')], endpoints: [cla('extra', [7])] }) } } });
  t.equal(res.version, '3');
  t.same(res.groups.map((g) => [g.group, g.changed_types]).sort(), [['', ['CDS', 'EDS']], ['canary', ['CDS', 'EDS']]]);
  const status = await c.call<{ groups: { group: string; counts: { clusters: number } }[] }>('Status', {});
  t.same(status.groups.map((g) => [g.group, g.counts.clusters]).sort(), [['', 2], ['canary', 3]]);
  // A change that breaks one group names the group in every problem path.
  const err = await rejected(c.call('Push', { change: { delete: { clusters: ['c1'] } } }));
  t.match(err.details, /\[group default\] delete\.clusters\[0\]: no clusters resource named "c1"/);
});

// ---------------------------------------------------------------- TLS (certificates made with openssl at test time)

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all P-256, valid one day. */
function makeCerts(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const f = (n: string): string => path.join(dir, n);
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=shadowgate-test-ca');
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], ['client', 'extendedKeyUsage=clientAuth']]) {
    ossl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
    fs.writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ossl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`));
  }
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

function adsOver(address: string, creds: grpc.ChannelCredentials): RawAds<SotwResponse> {
  const { Client } = adsService();
  return new RawAds<SotwResponse>(new Client(address, creds, { 'grpc.use_local_subchannel_pool': 1 }), 'StreamAggregatedResources');
}

t.test('TLS and mutual TLS for ADS and the push API', { skip: hasOpenssl() ? false : 'the openssl command is not installed: cannot make test certificates' }, async (t) => {
  const dir = tempDir(t);
  const certs = makeCerts(dir);
  const ca = fs.readFileSync(certs.ca);

  const tls = await startCp(t, { tls: { cert: certs.serverCert, key: certs.serverKey } });
  const c = await ControlClient.connect({ server: tls.address, 'token-file': tls.tokenFile, 'tls-ca': certs.ca });
  t.teardown(() => c.close());
  t.equal((await pushDoc(c, sampleConfig())).version, '1', 'push API over TLS');
  const ads = adsOver(tls.address, grpc.credentials.createSsl(ca));
  t.teardown(() => ads.close());
  ads.send({ node: node('tls-gw'), type_url: CDS });
  t.same(names(await ads.next(CDS)), ['v1'], 'ADS over TLS');
  const plain = await ControlClient.connect({ server: tls.address, 'token-file': tls.tokenFile });
  t.teardown(() => plain.close());
  await t.rejects(plain.call('Status', {}, 3_000), { code: grpc.status.UNAVAILABLE }, 'plaintext is refused');

  const mtls = await startCp(t, { tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } });
  const withCert = adsOver(mtls.address, grpc.credentials.createSsl(ca, fs.readFileSync(certs.clientKey), fs.readFileSync(certs.clientCert)));
  t.teardown(() => withCert.close());
  const operator = await ControlClient.connect({ server: mtls.address, 'token-file': mtls.tokenFile, 'tls-ca': certs.ca, 'tls-cert': certs.clientCert, 'tls-key': certs.clientKey });
  t.teardown(() => operator.close());
  await pushDoc(operator, sampleConfig());
  withCert.send({ node: node('mtls-gw'), type_url: CDS });
  t.same(names(await withCert.next(CDS)), ['v1'], 'ADS with a client certificate');
  const noCert = await ControlClient.connect({ server: mtls.address, 'token-file': mtls.tokenFile, 'tls-ca': certs.ca });
  t.teardown(() => noCert.close());
  await t.rejects(noCert.call('Status', {}, 3_000), { code: grpc.status.UNAVAILABLE }, 'no client certificate: the handshake fails');
});

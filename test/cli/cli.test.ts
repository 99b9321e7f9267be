/**
 * The `shadowgate` command as an operator meets it (spawned: node dist/src/cli/main.js). Bad input
 * exits non-zero with one `error: <path>: <message>` line per problem and never a stack trace;
 * `validate -f`; a real proxy process serving several listeners on several ports, then SIGTERM.
 * `npm test` builds first; run alone, this file builds only when dist is missing.
 */
import t, { Test } from 'tap';
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startUpstream } from '../helpers/upstream';
import { HCM_TYPE, ROUTER_TYPE, bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { send, until } from '../helpers/http';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'envoy');
if (!existsSync(MAIN)) execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_SDK_DISABLED: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shadowgate ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shadowgate-cli-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
function file(name: string, content: string | object): string {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof content === 'string' ? content : stringify(content));
  return p;
}

/** stderr must be problem lines only: `error: <path>: <message>`, no stack frames. */
function checkErrorLines(t: Test, r: Run, want: (string | RegExp)[]): void {
  const lines = r.stderr.trimEnd().split('\n');
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace');
  t.ok(lines.every((l) => /^error: \S.*: .+$/.test(l) || /^error: [^:]+$/.test(l)), `one "error: <path>: <message>" line per problem:\n${r.stderr}`);
  t.equal(lines.length, want.length, `${want.length} line(s)`);
  want.forEach((w, i) => (typeof w === 'string' ? t.equal(lines[i], w) : t.match(lines[i], w)));
}

t.test('bad input: non-zero exit, one line per problem, no stack trace', async (t) => {
  const occupied = net.createServer();
  await new Promise<void>((r) => occupied.listen(0, '127.0.0.1', r));
  t.teardown(() => occupied.close());
  const busyPort = (occupied.address() as net.AddressInfo).port;
  const inUse = file('in-use.yaml', bootstrapWith([httpListener('ingress', routeConfig([{ match: { prefix: '/' }, direct_response: { status: 200 } }]), {}, busyPort)], []));
  const adminInUse = file('admin-in-use.yaml', { ...bootstrapWith([], []), admin: { address: { socket_address: { address: '127.0.0.1', port_value: busyPort } } } });
  const dupPorts = file('dup-ports.yaml', bootstrapWith([httpListener('one', routeConfig([]), {}, 18123), httpListener('two', routeConfig([]), {}, 18123)], []));
  const many = file('many.yaml', bootstrapWith([httpListener('ingress', routeConfig([
    { match: { safe_regex: { regex: '(' } }, route: { cluster: 'ghost' } },
    { match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }] } } },
  ]), { '@type': HCM_TYPE, http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE, bogus: 1 } }] })], [staticCluster('a', [1])]));
  const R0 = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
  const cases: [string, string[], number, (string | RegExp)[]][] = [
    ['invalid YAML', ['proxy', '-c', path.join(FIXTURES, 'invalid-yaml.yaml')], 1, [/^error: .*invalid-yaml\.yaml:\d+:\d+: invalid YAML: /]],
    ['unknown field', ['proxy', '-c', path.join(FIXTURES, 'unknown-field.yaml')], 1, ['error: static_resources.clusters[0].conect_timeout: unknown field']],
    ['unknown cluster', ['proxy', '-c', path.join(FIXTURES, 'unknown-cluster.yaml')], 1,
      [`error: ${R0}.route_config.virtual_hosts[0].routes[0].route.cluster: route: unknown cluster 'nowhere'`]],
    ['several problems', ['proxy', '-c', many], 1, [
      `error: ${R0}.route_config.virtual_hosts[0].routes[0].match.safe_regex.regex: invalid regex: error parsing regexp: missing closing ): \`(\``,
      `error: ${R0}.route_config.virtual_hosts[0].routes[1].route.weighted_clusters: Sum of weights in the weighted_cluster must be greater than 0.`,
      `error: ${R0}.http_filters[0].typed_config.bogus: unknown field`,
      `error: ${R0}.route_config.virtual_hosts[0].routes[0].route.cluster: route: unknown cluster 'ghost'`,
    ]],
    ['duplicate listener ports', ['proxy', '-c', dupPorts], 1, ['error: static_resources.listeners[1].address: listener "two" uses 127.0.0.1:18123, already used by listener "one"']],
    ['listener port in use', ['proxy', '-c', inUse], 1, [`error: listener "ingress": cannot bind 127.0.0.1:${busyPort}: address already in use`]],
    ['admin port in use', ['proxy', '-c', adminInUse], 1, [`error: admin: cannot bind 127.0.0.1:${busyPort}: address already in use`]],
    ['missing file', ['proxy', '-c', path.join(tmp, 'nope.yaml')], 1, [`error: ${path.join(tmp, 'nope.yaml')}: cannot read config file: ENOENT`]],
    ['unknown flag', ['proxy', '--cofig-path', 'x'], 2, [/^error: proxy: Unknown option '--cofig-path'/]],
    ['validate: invalid', ['validate', '-f', path.join(FIXTURES, 'unknown-field.yaml')], 1, ['error: static_resources.clusters[0].conect_timeout: unknown field']],
  ];
  // A few at a time: each is a Node process loading the whole gateway (2-core CI).
  const results: Run[] = [];
  for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([, args]) => run(args)))));
  cases.forEach(([name, , code, want], i) => {
    t.test(name, async (t) => {
      const r = results[i];
      t.equal(r.code, code, `exit code ${code}`);
      checkErrorLines(t, r, want);
    });
  });
});

t.test('validate -f', async (t) => {
  const ok = await run(['validate', '-f', path.join(FIXTURES, 'valid-bootstrap.yaml')]);
  t.equal(ok.code, 0);
  t.equal(ok.stdout, `${path.join(FIXTURES, 'valid-bootstrap.yaml')}: valid\n`);
  t.equal(ok.stderr, '');
  const optional = file('optional.yaml', bootstrapWith([httpListener('ingress', routeConfig([]), {
    http_filters: [
      { name: 'envoy.filters.http.cors', is_optional: true, typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } },
      { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } },
    ],
  })], []));
  const warned = await run(['validate', '-f', optional]);
  t.equal(warned.code, 0, 'an optional unknown filter is valid');
  t.match(warned.stderr, /^warning: static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\]: optional filter envoy\.filters\.http\.cors .* is skipped\n$/);
});

t.test('a proxy process serves several listeners on several ports, then stops on SIGTERM', async (t) => {
  const v1 = await startUpstream('v1');
  const v2 = await startUpstream('v2');
  t.teardown(() => Promise.all([v1.close(), v2.close()]));
  const fixture = readFileSync(path.join(FIXTURES, 'valid-bootstrap.yaml'), 'utf8').replace('port_value: 18081', `port_value: ${v1.port}`).replace('port_value: 18082', `port_value: ${v2.port}`);
  const config = file('serve.yaml', fixture);
  const child = spawn(process.execPath, [MAIN, 'proxy', '-c', config, '--service-node', 'cli-node'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_SDK_DISABLED: 'true' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => { child.kill('SIGKILL'); });
  await until(() => stdout.includes('shadowgate proxy started') || child.exitCode !== null, 15_000);
  const started = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; listeners?: string[]; admin?: number }).find((l) => l.msg === 'shadowgate proxy started');
  t.ok(started, `started (stderr: ${stderr})`);
  const ports = Object.fromEntries((started?.listeners ?? []).map((l) => l.split('@')).map(([n, p]) => [n, Number(p)]));
  t.same(Object.keys(ports).sort(), ['ingress', 'second']);
  t.not(ports.ingress, ports.second, 'two ports');
  const first = await send(`http://127.0.0.1:${ports.ingress}`, '/');
  t.equal(first.status, 200);
  t.equal(first.headers['x-upstream'], 'v1');
  const second = await send(`http://127.0.0.1:${ports.second}`, '/');
  t.equal(second.headers['x-upstream'], 'v2');
  const css = await send(`http://127.0.0.1:${ports.ingress}`, '/static/site.css');
  t.equal(css.body, 'body{}', 'direct response from the fixture');
  const info = JSON.parse((await send(`http://127.0.0.1:${started?.admin}`, '/server_info')).body);
  t.equal(info.node.id, 'cli-node', '--service-node overrides node.id');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: drained and exited 0');
  t.notMatch(stderr, /^\s+at /m);
});

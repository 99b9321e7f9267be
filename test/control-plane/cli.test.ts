/** The operator CLI as a child process: output and exit codes (0 ok, 1 rejected, 2 usage, 3 unreachable/auth). */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { runCli, startCli } from './cli-runner';
import { sampleConfig, tempDir } from './helpers';

t.test('control-plane, push, status, history, rollback as processes', async (t) => {
  const dir = tempDir(t);
  const tokenFile = path.join(dir, 'token.txt');
  fs.writeFileSync(tokenFile, 'cli-test-token\n', { mode: 0o600 });
  const wrongToken = path.join(dir, 'wrong.txt');
  fs.writeFileSync(wrongToken, 'nope\n');
  const good = path.join(dir, 'good.yaml');
  fs.writeFileSync(good, stringify(sampleConfig()));
  const canary = path.join(dir, 'canary.yaml');
  fs.writeFileSync(canary, stringify(sampleConfig({ clusters: ['v1', 'v2'], route: 'v2' })));
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, stringify({ ...sampleConfig(), routes: [{ name: 'main', virtual_hosts: [{ name: 'x', domains: ['*'], routes: [{ match: { safe_regex: { regex: '[' } }, route: { cluster: 'v1' } }] }] }] }));

  const cp = await startCli(['control-plane', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'), '--token-file', tokenFile], /"address":"(127\.0\.0\.1:\d+)"[^\n]*control plane listening/);
  t.teardown(() => cp.stop());
  const server = cp.match[1];
  const common = ['--server', server, '--token-file', tokenFile];

  const [usage, noFile, unreachable, wrong, noToken, cpUsage] = await Promise.all([
    runCli(['push']),
    runCli(['push', '-f', path.join(dir, 'missing.yaml'), ...common]),
    runCli(['status', '--server', '127.0.0.1:1', '--token-file', tokenFile]),
    runCli(['push', '-f', good, '--server', server, '--token-file', wrongToken]),
    runCli(['status', '--server', server]),
    runCli(['control-plane', '--listen', '127.0.0.1:0']),
  ]);
  t.equal(usage.code, 2, 'push without -f is a usage error');
  t.match(usage.stderr, /-f FILE is required/);
  t.equal(noFile.code, 2);
  t.match(noFile.stderr, /cannot read .*missing\.yaml: ENOENT/);
  t.equal(unreachable.code, 3, 'unreachable control plane');
  t.match(unreachable.stderr, /control plane at 127\.0\.0\.1:1 is unreachable/);
  t.equal(wrong.code, 3, 'wrong token');
  t.match(wrong.stderr, /refused the token/);
  t.equal(noToken.code, 3, 'no token at all');
  t.match(noToken.stderr, /no push API token: pass --token-file FILE or set SHADOWGATE_TOKEN/);
  t.equal(cpUsage.code, 2);
  t.match(cpUsage.stderr, /--data-dir DIR is required/);

  const invalid = await runCli(['push', '-f', bad, ...common]);
  t.equal(invalid.code, 1, 'an invalid config is rejected');
  t.match(invalid.stderr, /error: configuration rejected/);
  t.match(invalid.stderr, /routes\[0\]\.virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex: /);

  const dry = await runCli(['push', '-f', good, '--dry-run', ...common]);
  t.equal(dry.code, 0);
  t.match(dry.stdout, /dry run: valid; would become version 1/);

  const pushed = await runCli(['push', '-f', good, '--wait', '--timeout', '2s', '--description', 'first', ...common]);
  t.equal(pushed.code, 0, pushed.stderr);
  t.match(pushed.stdout, /version 1 accepted \(all gateways\)/);
  t.match(pushed.stderr, /no gateways connected/);

  const [conflict, second] = await Promise.all([
    runCli(['push', '-f', canary, '--expected-version', '0', ...common]),
    runCli(['push', '-f', canary, '--expected-version', '1', '-o', 'json', ...common]),
  ]);
  t.equal(conflict.code, 1);
  t.match(conflict.stderr, /expected version 0, but the current version is [12]/);
  t.equal(second.code, 0, second.stderr);
  t.match(JSON.parse(second.stdout), { push: { version: '2', changed: true } });

  const [status, statusJson, history] = await Promise.all([
    runCli(['status', ...common]),
    runCli(['status', '-o', 'json', ...common]),
    runCli(['history', ...common]),
  ]);
  t.equal(status.code, 0);
  t.match(status.stdout, /control plane version 2; 0 gateways connected/);
  t.match(JSON.parse(statusJson.stdout), { version: '2' });
  t.equal(history.code, 0);
  t.match(history.stdout, /VERSION\s+CREATED\s+ACTION/);
  t.match(history.stdout, /\n2\s+.*push\s+all\s+default: CDS\+EDS\+RDS/);
  t.match(history.stdout, /\n1\s+.*first/);

  const [rollback, missing, badTo] = await Promise.all([
    runCli(['rollback', '--to', '1', ...common]),
    runCli(['rollback', '--to', '99', ...common]),
    runCli(['rollback', '--to', 'latest', ...common]),
  ]);
  t.equal(rollback.code, 0, rollback.stderr);
  t.match(rollback.stdout, /version 3 accepted: configuration of version 1 restored/);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /version 99 is not in the history/);
  t.equal(badTo.code, 2);

  const invalidJson = await runCli(['push', '-f', bad, '-o', 'json', ...common]);
  t.equal(invalidJson.code, 1);
  const parsed = JSON.parse(invalidJson.stdout);
  t.match(parsed, { exit_code: 1, problems: [{ path: 'routes[0].virtual_hosts[0].routes[0].match.safe_regex.regex' }] });

  t.equal(await cp.stop(), 0, 'SIGTERM stops the control plane cleanly');
});

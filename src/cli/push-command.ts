/**
 * `shadowgate push`: send a configuration to the control plane and, with --wait, follow the
 * gateways of the target group until each one ACKed it or one NACKed it.
 *
 *   shadowgate push -f config.yaml [--group G] [--wait] [--timeout 30s] [--dry-run] [--expected-version V]
 *   shadowgate push --upsert more.yaml --delete clusters/old_v1 …   (a change instead of a full config)
 */
import { readFile } from 'node:fs/promises';
import { parseFlags } from './args';
import { ShadowgateError } from '../errors';
import { RESOURCE_KINDS } from '../control-plane/resource-kinds';
import {
  CLIENT_FLAGS, CLIENT_HELP, ControlClient, EXIT_OK, EXIT_REJECTED, GatewayStatusMsg, Output, PushResponseMsg, WatchEventMsg,
  countsText, groupLabel, outputFormat, parseDurationMs, runClientCommand, writeJson,
} from './control-client';

const HELP = `usage: shadowgate push -f FILE [flags]

  -f, --file FILE              full configuration (YAML/JSON: listeners, routes, clusters, endpoints)
      --upsert FILE            instead of -f: resources to add or replace
      --delete KIND/NAME       instead of -f: remove a resource (repeatable; KIND = listeners|routes|clusters|endpoints)
      --group G                only gateways whose node.cluster is G (default: all gateways)
      --dry-run                validate and show what would change; change nothing
      --expected-version V     apply only if the current version is V (optimistic concurrency)
      --description TEXT       kept in the history
      --wait                   wait until every gateway of the group ACKed (exit 1 naming any that NACKed)
      --timeout DURATION       how long --wait waits (default 30s)
${CLIENT_HELP}`;


export async function runPushCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    ...CLIENT_FLAGS,
    file: { type: 'string', short: 'f' },
    upsert: { type: 'string' },
    delete: { type: 'string', multiple: true },
    group: { type: 'string', default: '' },
    'dry-run': { type: 'boolean' },
    'expected-version': { type: 'string' },
    description: { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string', default: '30s' },
  }, 'push');
  if (flags.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const output = outputFormat(flags, 'push');
  const timeoutMs = parseDurationMs(String(flags.timeout), '--timeout');
  const request = { ...(await configOf(flags)), group: flags.group ?? '', dry_run: !!flags['dry-run'], expected_version: flags['expected-version'] ?? '', description: flags.description ?? '' };
  return runClientCommand(flags, output, async (client) => {
    const res = await client.call<PushResponseMsg>('Push', request);
    if (output === 'table') printPushResult(res, flags.group ?? '');
    if (!flags.wait || res.dry_run) {
      if (output === 'json') writeJson({ push: res });
      return EXIT_OK;
    }
    const wait = await waitForGateways(client, flags.group ?? '', String(res.version), timeoutMs, output);
    if (output === 'json') writeJson({ push: res, wait });
    return wait.ok ? EXIT_OK : EXIT_REJECTED;
  });
}

async function configOf(flags: { file?: string; upsert?: string; delete?: string[] }): Promise<object> {
  const change = flags.upsert !== undefined || (flags.delete?.length ?? 0) > 0;
  if (flags.file && change) throw new ShadowgateError('SG_ERR_CLI_USAGE', 'push: -f (a full configuration) and --upsert/--delete (a change) are exclusive');
  if (!flags.file && !change) throw new ShadowgateError('SG_ERR_CLI_USAGE', 'push: -f FILE is required (or --upsert FILE / --delete KIND/NAME for a change); see shadowgate push --help');
  if (flags.file) return { full: await documentOf(flags.file) };
  const deletes: Record<string, string[]> = {};
  for (const item of flags.delete ?? []) {
    const slash = item.indexOf('/');
    const kind = item.slice(0, slash);
    if (slash <= 0 || !(RESOURCE_KINDS as readonly string[]).includes(kind) || slash === item.length - 1) {
      throw new ShadowgateError('SG_ERR_CLI_USAGE', `push: --delete expects KIND/NAME with KIND one of ${RESOURCE_KINDS.join(', ')}, got "${item}"`);
    }
    (deletes[kind] ??= []).push(item.slice(slash + 1));
  }
  return { change: { ...(flags.upsert ? { upsert: await documentOf(flags.upsert) } : {}), delete: deletes } };
}

async function documentOf(file: string): Promise<{ text: string; source: string }> {
  try {
    return { text: await readFile(file, 'utf8'), source: file };
  } catch (err) {
    throw new ShadowgateError('SG_ERR_CLI_USAGE', `push: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function printPushResult(res: PushResponseMsg, group: string): void {
  const target = group ? `group ${group}` : 'all gateways';
  if (res.dry_run) process.stdout.write(res.changed ? `dry run: valid; would become version ${res.version} (${target})\n` : `dry run: valid; no change from version ${res.version}\n`);
  else if (!res.changed) process.stdout.write(`no change: version ${res.version} already serves this configuration (${target})\n`);
  else process.stdout.write(`version ${res.version} accepted (${target})\n`);
  for (const g of res.groups ?? []) process.stdout.write(`  ${groupLabel(g.group)}: ${(g.changed_types ?? []).join(', ')} changed; ${countsText(g.counts)}\n`);
  for (const w of res.warnings ?? []) process.stderr.write(`warning: ${w.path ? `${w.path}: ` : ''}${w.message}\n`);
}

export interface WaitResult {
  ok: boolean;
  version: string;
  synced: string[];
  nacked: { node: string; group: string; type: string; version: string; error: string }[];
  pending: string[];
  timedOut: boolean;
}

/**
 * Follows Watch until every gateway of `group` ("" = all) is SYNCED (ACKed what its group is
 * served, which includes `version`) or NACKED. Gateways that disconnect meanwhile drop out.
 */
export function waitForGateways(client: ControlClient, group: string, version: string, timeoutMs: number, output: Output): Promise<WaitResult> {
  return new Promise((resolve) => {
    const gateways = new Map<string, GatewayStatusMsg>();
    const stream = client.watch({ group });
    let finished = false;
    const finish = (timedOut: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      stream.cancel();
      const list = [...gateways.values()];
      const nacked = list.filter((g) => g.state === 'NACKED').flatMap((g) => (g.types ?? []).filter((t) => t.last_nack && t.last_nack.version === t.served_version && t.acked_version !== t.served_version).map((t) => ({
        node: g.node_id ?? '', group: g.group ?? '', type: t.type ?? '', version: t.last_nack?.version ?? '', error: t.last_nack?.message ?? '',
      })));
      const result: WaitResult = {
        ok: !timedOut && nacked.length === 0,
        version,
        synced: list.filter((g) => g.state === 'SYNCED').map((g) => g.node_id ?? ''),
        nacked,
        pending: list.filter((g) => g.state !== 'SYNCED' && g.state !== 'NACKED').map((g) => g.node_id ?? ''),
        timedOut,
      };
      if (output === 'table') printWait(result, group);
      resolve(result);
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    let snapshotSeen = false;
    stream.on('data', (ev: WatchEventMsg) => {
      if (ev.kind === 'SNAPSHOT') {
        snapshotSeen = true;
        for (const g of ev.status?.gateways ?? []) gateways.set(g.stream_id ?? '', g);
      } else if (ev.gateway && ev.kind === 'GATEWAY_DISCONNECTED') gateways.delete(ev.gateway.stream_id ?? '');
      else if (ev.gateway) gateways.set(ev.gateway.stream_id ?? '', ev.gateway);
      if (snapshotSeen && [...gateways.values()].every((g) => g.state === 'SYNCED' || g.state === 'NACKED')) finish(false);
    });
    const lost = (why: string): void => {
      if (finished) return;
      if (output === 'table') process.stderr.write(`error: lost the watch stream: ${why}\n`);
      finish(true);
    };
    stream.on('error', (err: Error) => lost(err.message));
    // The control plane ends Watch streams when it shuts down.
    stream.on('end', () => lost('the control plane closed it'));
  });
}

function printWait(r: WaitResult, group: string): void {
  const scope = group ? `group ${group}` : 'all groups';
  const total = r.synced.length + r.nacked.length + r.pending.length;
  if (total === 0) {
    process.stderr.write(`warning: no gateways connected (${scope}); nothing to wait for\n`);
    return;
  }
  for (const n of r.synced) process.stdout.write(`  ✓ ${n}: ACKed\n`);
  for (const n of r.nacked) process.stdout.write(`  ✗ ${n.node}: NACKed ${n.type} version ${n.version}: ${n.error}\n`);
  for (const n of r.pending) process.stdout.write(`  … ${n}: no ACK yet\n`);
  if (r.ok) process.stdout.write(`${r.synced.length}/${total} gateways (${scope}) serve version ${r.version}\n`);
  else if (r.nacked.length > 0) process.stderr.write(`error: ${new Set(r.nacked.map((n) => n.node)).size} of ${total} gateways rejected version ${r.version}\n`);
  else process.stderr.write(`error: timed out: ${r.pending.length} of ${total} gateways have not ACKed version ${r.version}\n`);
}


/** `shadowgate rollback --to VERSION`: serve an earlier version's configuration again, as a new version. */
import { parseFlags } from './args';
import { ShadowgateError } from '../errors';
import { CLIENT_FLAGS, CLIENT_HELP, EXIT_OK, EXIT_REJECTED, PushResponseMsg, countsText, groupLabel, outputFormat, parseDurationMs, runClientCommand, writeJson } from './control-client';
import { waitForGateways } from './push-command';

const HELP = `usage: shadowgate rollback --to VERSION [flags]

  Serves the configuration that VERSION had (every group) again. Versions only grow: the rollback
  becomes a new version, and stays in the history.

      --to VERSION             the version to restore (see shadowgate history)
      --dry-run                validate and show what would change
      --expected-version V     apply only if the current version is V
      --description TEXT       kept in the history
      --wait                   wait until every gateway ACKed (exit 1 naming any that NACKed)
      --timeout DURATION       how long --wait waits (default 30s)
${CLIENT_HELP}`;

export async function runRollbackCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    ...CLIENT_FLAGS,
    to: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'expected-version': { type: 'string' },
    description: { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string', default: '30s' },
  }, 'rollback');
  if (flags.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (!flags.to || !/^\d+$/.test(flags.to)) throw new ShadowgateError('SG_ERR_CLI_USAGE', `rollback: --to VERSION is required (a version number from shadowgate history)${flags.to ? `, got "${flags.to}"` : ''}`);
  const output = outputFormat(flags, 'rollback');
  const timeoutMs = parseDurationMs(String(flags.timeout), '--timeout');
  return runClientCommand(flags, output, async (client) => {
    const res = await client.call<PushResponseMsg>('Rollback', { to_version: flags.to, dry_run: !!flags['dry-run'], expected_version: flags['expected-version'] ?? '', description: flags.description ?? '' });
    if (output === 'table') {
      if (res.dry_run) process.stdout.write(res.changed ? `dry run: rollback to ${flags.to} would become version ${res.version}\n` : `dry run: version ${flags.to} equals the current configuration\n`);
      else if (!res.changed) process.stdout.write(`no change: the current configuration already equals version ${flags.to}\n`);
      else process.stdout.write(`version ${res.version} accepted: configuration of version ${flags.to} restored\n`);
      for (const g of res.groups ?? []) process.stdout.write(`  ${groupLabel(g.group)}: ${(g.changed_types ?? []).join(', ')} changed; ${countsText(g.counts)}\n`);
      for (const w of res.warnings ?? []) process.stderr.write(`warning: ${w.path ? `${w.path}: ` : ''}${w.message}\n`);
    }
    if (!flags.wait || res.dry_run) {
      if (output === 'json') writeJson({ rollback: res });
      return EXIT_OK;
    }
    const wait = await waitForGateways(client, '', String(res.version), timeoutMs, output);
    if (output === 'json') writeJson({ rollback: res, wait });
    return wait.ok ? EXIT_OK : EXIT_REJECTED;
  });
}

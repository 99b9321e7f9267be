/** `shadowgate history [--limit N]`: accepted versions, newest first. */
import { parseFlags } from './args';
import { ShadowgateError } from '../errors';
import { CLIENT_FLAGS, CLIENT_HELP, EXIT_OK, VersionRecordMsg, formatTable, groupLabel, outputFormat, runClientCommand, timeText, writeJson } from './control-client';

const HELP = `usage: shadowgate history [--limit N] [flags]

      --limit N                at most N versions (default: all the control plane keeps)
${CLIENT_HELP}`;

export async function runHistoryCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, { ...CLIENT_FLAGS, limit: { type: 'string', default: '0' } }, 'history');
  if (flags.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const output = outputFormat(flags, 'history');
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new ShadowgateError('SG_ERR_CLI_USAGE', `history: --limit must be a whole number, got "${flags.limit}"`);
  return runClientCommand(flags, output, async (client) => {
    const res = await client.call<{ versions?: VersionRecordMsg[] }>('History', { limit });
    if (output === 'json') writeJson(res);
    else process.stdout.write(formatHistory(res.versions ?? []));
    return EXIT_OK;
  });
}

export function formatHistory(versions: VersionRecordMsg[], now = Date.now()): string {
  if (versions.length === 0) return 'no versions yet: nothing has been pushed\n';
  return formatTable(
    ['VERSION', 'CREATED', 'ACTION', 'TARGET', 'CHANGES', 'DESCRIPTION'],
    versions.map((v) => [
      v.version ?? '',
      timeText(v.created_at, now),
      v.action === 'rollback' ? `rollback to ${v.rolled_back_to}` : v.action ?? '',
      v.group ? `group ${v.group}` : 'all',
      (v.groups ?? []).map((g) => `${groupLabel(g.group)}: ${(g.changed_types ?? []).join('+')}`).join('; ') || '-',
      v.description ?? '',
    ]),
  );
}

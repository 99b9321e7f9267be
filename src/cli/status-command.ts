/** `shadowgate status [--group G]`: every connected gateway, the version it ACKed per type, its last NACK. */
import { parseFlags } from './args';
import { CLIENT_FLAGS, CLIENT_HELP, EXIT_OK, GatewayStatusMsg, StatusResponseMsg, formatTable, groupLabel, outputFormat, runClientCommand, timeText, writeJson } from './control-client';

const HELP = `usage: shadowgate status [--group G] [flags]

  Lists every gateway connected to the control plane: node id, group (node.cluster), protocol,
  state (SYNCED, PENDING, NACKED, CONNECTING), the version it ACKed per resource type, connected since,
  and the last NACK with its error.

      --group G                only gateways of this group
${CLIENT_HELP}`;

const TYPES = ['CDS', 'EDS', 'LDS', 'RDS'];

export async function runStatusCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, { ...CLIENT_FLAGS, group: { type: 'string', default: '' } }, 'status');
  if (flags.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const output = outputFormat(flags, 'status');
  return runClientCommand(flags, output, async (client) => {
    const res = await client.call<StatusResponseMsg>('Status', { group: flags.group ?? '' });
    if (output === 'json') writeJson(res);
    else process.stdout.write(formatStatus(res));
    return EXIT_OK;
  });
}

export function formatStatus(res: StatusResponseMsg, now = Date.now()): string {
  const gateways = [...(res.gateways ?? [])].sort((a, b) => `${a.group}/${a.node_id}`.localeCompare(`${b.group}/${b.node_id}`));
  let out = `control plane version ${res.version ?? '0'}; ${gateways.length} gateway${gateways.length === 1 ? '' : 's'} connected\n`;
  for (const g of res.groups ?? []) {
    const tv = g.type_versions ?? {};
    out += `  group ${groupLabel(g.group)}: version ${g.config_version} (${TYPES.map((t) => `${t} ${tv[t] ?? '-'}`).join(', ')})\n`;
  }
  if (gateways.length === 0) return out;
  out += '\n';
  out += formatTable(
    ['NODE', 'GROUP', 'PROTOCOL', 'STATE', 'SYNCED', ...TYPES, 'CONNECTED'],
    gateways.map((g) => [g.node_id || '(no id)', groupLabel(g.group), g.protocol ?? '', g.state ?? '', g.synced_version || '-', ...TYPES.map((t) => typeCell(g, t)), timeText(g.connected_since, now)]),
  );
  const nacks = gateways.flatMap((g) => (g.types ?? []).filter((t) => t.last_nack).map((t) => ({ g, t })));
  if (nacks.length > 0) {
    out += '\nlast NACKs:\n';
    for (const { g, t } of nacks) out += `  ${g.node_id} ${t.type} rejected version ${t.last_nack?.version} at ${timeText(t.last_nack?.at, now)}: ${t.last_nack?.message}\n`;
  }
  return out;
}

/** The ACKed version; "5→6" while version 6 is in flight; "5 (6 NACKed)" when 6 was rejected. */
function typeCell(g: GatewayStatusMsg, type: string): string {
  const t = (g.types ?? []).find((x) => x.type === type);
  if (!t) return '-';
  const acked = t.acked_version || '∅';
  if (!t.served_version || t.served_version === t.acked_version) return acked;
  if (t.last_nack?.version === t.served_version) return `${acked} (${t.served_version} NACKed)`;
  return `${acked}→${t.served_version}`;
}

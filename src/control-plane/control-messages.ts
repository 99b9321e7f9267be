/** Internal views → shadowgate.control.v1 messages (proto-loader object form, snake_case). */
import { Problem } from '../config/problems';
import { GatewayStatusView } from './gateway-registry';
import { GroupView, PushOutcome } from './snapshot-store';
import { GroupChangeRecord, VersionMeta } from './version-files';
import { KIND_TYPE_URL, RESOURCE_KINDS, ResourceKind, shortType } from './resource-kinds';
import { countLists } from './push-document';
import { toTimestamp } from './control-proto';

export function problemMessages(problems: Problem[]): { path: string; message: string }[] {
  return problems.map((p) => ({ path: p.path, message: p.message }));
}

export function groupChangeMessage(g: GroupChangeRecord): object {
  return { group: g.group, changed_types: g.changedTypes, counts: g.counts };
}

export function pushResponse(o: PushOutcome): object {
  return { version: String(o.version), changed: o.changed, warnings: problemMessages(o.warnings), groups: o.groups.map(groupChangeMessage), dry_run: o.dryRun };
}

export function versionRecord(m: VersionMeta): object {
  return {
    version: String(m.version),
    created_at: toTimestamp(new Date(m.createdAt)),
    action: m.action,
    group: m.group,
    description: m.description,
    rolled_back_to: m.rolledBackTo !== undefined ? String(m.rolledBackTo) : '',
    groups: m.groups.map(groupChangeMessage),
  };
}

export function gatewayStatus(g: GatewayStatusView): object {
  return {
    stream_id: g.streamId,
    node_id: g.nodeId,
    group: g.group,
    protocol: g.protocol,
    connected_since: toTimestamp(g.connectedSince),
    peer: g.peer,
    state: g.state,
    synced_version: g.syncedVersion,
    target_version: g.targetVersion,
    user_agent: g.userAgent,
    types: g.types.map((t) => ({
      type: t.type,
      type_url: t.typeUrl,
      acked_version: t.ackedVersion,
      served_version: t.servedVersion,
      subscribed: t.subscribed,
      ...(t.lastNack ? { last_nack: { version: t.lastNack.version, message: t.lastNack.message, at: toTimestamp(t.lastNack.at) } } : {}),
    })),
  };
}

export function groupStatus(g: GroupView): object {
  return {
    group: g.group,
    config_version: String(g.configVersion),
    counts: countLists(g.lists),
    type_versions: Object.fromEntries(RESOURCE_KINDS.map((k: ResourceKind) => [shortType(KIND_TYPE_URL[k]), String(g.typeVersions[k])])),
  };
}

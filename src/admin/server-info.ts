/** /server_info: envoy.admin.v3.ServerInfo as JSON. */
import { Gateway } from '../gateway/gateway';
import { VERSION } from '../version';

export function serverInfo(gateway: Gateway, commandLine: Record<string, unknown>): object {
  const uptime = `${Math.floor((Date.now() - gateway.startedAt) / 1000)}s`;
  return {
    version: `shadowgate/${VERSION}/Clean/RELEASE/none`,
    state: gateway.state,
    uptime_current_epoch: uptime,
    uptime_all_epochs: uptime,
    hot_restart_version: 'disabled',
    command_line_options: commandLine,
    node: gateway.node,
  };
}

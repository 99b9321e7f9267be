/** The subcommand table: name → module. Each module parses its own flags. */
import { runProxyCommand } from './proxy-command';
import { runValidateCommand } from './validate-command';
import { runDemoCommand } from './demo-command';
import { runControlPlaneCommand } from './control-plane-command';
import { runPushCommand } from './push-command';
import { runStatusCommand } from './status-command';
import { runHistoryCommand } from './history-command';
import { runRollbackCommand } from './rollback-command';
import { runEchoCommand } from './echo-command';

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  proxy: { summary: 'run the gateway: shadowgate proxy -c envoy.yaml', run: runProxyCommand },
  validate: { summary: 'check a bootstrap or a push config: shadowgate validate -f FILE', run: runValidateCommand },
  'echo-service': { summary: 'a demo upstream that answers with what it received', run: runEchoCommand },
  'control-plane': { summary: 'run the xDS management server + push API: shadowgate control-plane --data-dir DIR', run: runControlPlaneCommand },
  push: { summary: 'push a config to the control plane: shadowgate push -f config.yaml [--group G] [--wait]', run: runPushCommand },
  status: { summary: 'gateways connected to the control plane and the version each ACKed', run: runStatusCommand },
  history: { summary: 'versions the control plane accepted', run: runHistoryCommand },
  rollback: { summary: 'serve an earlier version again: shadowgate rollback --to VERSION', run: runRollbackCommand },
  demo: { summary: 'control plane + gateway + demo services v1/v2 on this machine (npm start)', run: runDemoCommand },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `usage: shadowgate <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\nRun "shadowgate <command> --help" for a command's flags.\n`;
}

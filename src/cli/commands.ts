/** The subcommand table: name → module. Each module parses its own flags. */
/**
 * Each command's module is loaded only when that command runs: `shadowgate status` or `push` then
 * starts in about half the time, without loading Fastify, undici and OpenTelemetry it never uses.
 */
function lazy<M>(load: () => Promise<M>, name: keyof M): (args: string[]) => Promise<number> {
  return async (args) => ((await load())[name] as unknown as (args: string[]) => Promise<number>)(args);
}

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  proxy: { summary: 'run the gateway: shadowgate proxy -c envoy.yaml', run: lazy(() => import('./proxy-command'), 'runProxyCommand') },
  validate: { summary: 'check a bootstrap or a push config: shadowgate validate -f FILE', run: lazy(() => import('./validate-command'), 'runValidateCommand') },
  'echo-service': { summary: 'a demo upstream that answers with what it received', run: lazy(() => import('./echo-command'), 'runEchoCommand') },
  'control-plane': { summary: 'run the xDS management server + push API: shadowgate control-plane --data-dir DIR', run: lazy(() => import('./control-plane-command'), 'runControlPlaneCommand') },
  push: { summary: 'push a config to the control plane: shadowgate push -f config.yaml [--group G] [--wait]', run: lazy(() => import('./push-command'), 'runPushCommand') },
  status: { summary: 'gateways connected to the control plane and the version each ACKed', run: lazy(() => import('./status-command'), 'runStatusCommand') },
  history: { summary: 'versions the control plane accepted', run: lazy(() => import('./history-command'), 'runHistoryCommand') },
  rollback: { summary: 'serve an earlier version again: shadowgate rollback --to VERSION', run: lazy(() => import('./rollback-command'), 'runRollbackCommand') },
  demo: { summary: 'control plane + gateway + demo services v1/v2 on this machine (npm start)', run: lazy(() => import('./demo-command'), 'runDemoCommand') },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `usage: shadowgate <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\nRun "shadowgate <command> --help" for a command's flags.\n`;
}

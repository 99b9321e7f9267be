#!/usr/bin/env node
/**
 * The `shadowgate` command. Subcommands are Envoy/istioctl-like; each lives in its own file. Errors are
 * printed as one line per problem (never a stack trace) and the exit code says what happened.
 */
import { ConfigError, formatProblem } from '../config/problems';
import { ShadowgateError } from '../errors';
import { COMMANDS, usage } from './commands';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    const { VERSION } = await import('../version');
    process.stdout.write(`shadowgate ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`shadowgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

function report(err: unknown): number {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    return 1;
  }
  if (err instanceof ShadowgateError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.code === 'SG_ERR_CLI_USAGE' ? 2 : 1;
  }
  process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands (proxy, control-plane, demo) resolve with -1 and keep the process alive.
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    process.exitCode = report(err);
    // Listeners may have been bound before the failure: do not hang.
    setTimeout(() => process.exit(process.exitCode as number), 100).unref();
  },
);

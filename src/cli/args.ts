/** Flag parsing shared by the subcommands (node:util parseArgs), with usage errors as coded errors. */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { ShadowgateError } from '../errors';

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new ShadowgateError('SG_ERR_CLI_USAGE', `${command}: ${(err as Error).message}`);
  }
}

/** Resolves once SIGINT/SIGTERM arrives. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}
